"""A pinned foreign ledger's client records, beside the pin's trust file, that it trusted a
checkpoint (``<name>.checkpoint.trusted``), as the parts' own clients do. The trust file lost,
the desk refuses to open (``trust_file_lost``, naming it and ``federate forget-checkpoint``)
rather than trust that ledger's next checkpoint as a first run would;
``federate forget-checkpoint NAME`` forgets it and its record (the pin stays), and the next
check trusts and records afresh. An unknown name is refused (``federation_unknown``),
touching nothing; ``federate remove`` and a name pinned again under another key take the
record with the trust file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from civicid.ledger_client import trusted_record_file
from civicid.trust.pins import PINS_FILE
from tests.federation.test_break_pin_trust_file import checked_once, pin_by_cli, pinned_and_checked
from tests.federation.test_cli import failed, run
from tests.federation.world import Countries, desk, policy_text


def test_a_lost_pin_trust_file_is_refused_until_forgotten(
    countries: Countries, tmp_path: Path
) -> None:
    _, trust_file = pinned_and_checked(countries, tmp_path)
    record = trusted_record_file(trust_file)
    assert record.exists()
    pins = (trust_file.parent / PINS_FILE).read_bytes()
    trust_file.unlink()
    with pytest.raises(Error) as caught, desk(countries):
        pass
    assert caught.value.code == "trust_file_lost"
    assert str(trust_file) in caught.value.message
    assert "federate forget-checkpoint NAME" in caught.value.message
    home = ["--data-dir", str(countries.home.root)]
    failed("federation_unknown", "verifier", "federate", "forget-checkpoint", "elsewhere", *home)
    assert record.exists()
    status, out, err = run("verifier", "federate", "forget-checkpoint", "abroad", *home, "--json")
    assert status == 0, err
    assert json.loads(out) == {"forgotten": True, "file": str(trust_file)}
    assert not record.exists() and (trust_file.parent / PINS_FILE).read_bytes() == pins
    assert checked_once(countries).exists() and record.exists()  # trusted and recorded again


def test_removing_or_repinning_takes_the_record(countries: Countries, tmp_path: Path) -> None:
    policy, trust_file = pinned_and_checked(countries, tmp_path)
    record = trusted_record_file(trust_file)
    other = tmp_path / "other.policy"
    other.write_text(policy_text(countries.abroad, vkey=NoteSigner.generate("x.example/l").vkey()))
    pin_by_cli(countries, other, "--offline")
    assert not trust_file.exists() and not record.exists()
    pin_by_cli(countries, policy)
    checked_once(countries)
    assert record.exists()
    status, _, err = run("verifier", "federate", "remove", "abroad",
                         "--data-dir", str(countries.home.root))  # fmt: skip
    assert status == 0, err
    assert not trust_file.exists() and not record.exists()
