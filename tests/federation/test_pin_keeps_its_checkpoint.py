"""``federate add`` keeps the checkpoint it accepted, as the pin's client keeps one: the
pin's first use (and the next ``add`` of the same ledger) then takes only a checkpoint that
extends it (C2SP tlog-checkpoint), where it kept nothing and so would have taken a ledger
rolled back or forked since. A kept file that is not that ledger's is refused, the pin left
as it was."""

from __future__ import annotations

from pathlib import Path

from civicid.ledger_client import trusted_record_file
from civicid.trust.pins import Pins
from tests.federation.test_cli import add, failed, policy, run  # noqa: F401 (a fixture)
from tests.federation.world import Countries
from tests.verifier.world import settings_for


def kept_size(trust_file: Path) -> int:
    return int(trust_file.read_text().splitlines()[1])


def test_the_checkpoint_accepted_is_kept(countries: Countries, policy: Path) -> None:  # noqa: F811
    status, out, err = run(*add(countries, policy))
    assert status == 0, err
    pins = Pins(settings_for(countries.home.root).federation_path)
    trust_file = pins.trust_file("abroad")
    size = kept_size(trust_file)
    assert f"checkpoint {size} accepted" in out
    assert trusted_record_file(trust_file).exists()  # a lost file is refused, not a first use
    status, _, err = run(*add(countries, policy))  # the same ledger again: checked against it
    assert status == 0, err
    assert kept_size(trust_file) >= size


def test_a_kept_checkpoint_of_another_ledger_is_refused(
    countries: Countries,
    policy: Path,  # noqa: F811
) -> None:
    status, _, err = run(*add(countries, policy))
    assert status == 0, err
    where = settings_for(countries.home.root).federation_path
    trust_file = Pins(where).trust_file("abroad")
    index = Pins(where).index.read_bytes()
    # Its root hash changed: no longer what the pinned key signed.
    lines = trust_file.read_text().split("\n")
    lines[2] = ("A" if lines[2][0] != "A" else "B") + lines[2][1:]
    other = "\n".join(lines)
    trust_file.write_text(other)
    failed("trust_file_invalid", *add(countries, policy))
    assert Pins(where).index.read_bytes() == index and trust_file.read_text() == other
