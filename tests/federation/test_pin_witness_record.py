"""A pin's client keeps, beside its trust file, the witness policy it accepted checkpoints
under (``<name>.checkpoint.witness-policy``). It goes with the pin: removed by ``federate
remove`` (with the trust file, durably), dropped when the name is pinned again under another
key. Left behind, the name pinned again without witnesses was refused at every start
(``witness_policy_lost``), pointing to a ``forget-witnesses`` that does not clear it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.checkpoint import NoteSigner
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import CosignerKey
from civicid.errors import Error
from civicid.ledger_client import kept_policy_file
from civicid.trust import pins as pins_module
from civicid.trust.pins import Pins
from tests.federation.test_break_pin_trust_file import pin_by_cli
from tests.federation.test_cli import run
from tests.federation.world import Countries, desk, policy_text
from tests.verifier.world import settings_for


def kept_after_witnessed_pin(countries: Countries, tmp_path: Path) -> tuple[Path, Path]:
    """The foreign ledger pinned (no witnesses) as if it had been pinned under witnesses
    before: its trust file and the witness policy kept beside it, as a client writes them."""
    policy = tmp_path / "abroad.policy"
    policy.write_text(policy_text(countries.abroad))
    pin_by_cli(countries, policy, "--offline")
    trust_file = settings_for(countries.home.root).federation_path / "abroad.checkpoint"
    witnessed = policy_text(countries.abroad, witnesses=(CosignerKey.generate("w.example"),))
    kept = kept_policy_file(trust_file)
    kept.write_text(CheckpointPolicy.parse(witnessed).witnesses.to_text())
    trust_file.write_text("a checkpoint")
    return trust_file, kept


def test_a_name_pinned_again_without_witnesses_is_told_what_clears_it(
    countries: Countries, tmp_path: Path
) -> None:
    _, kept = kept_after_witnessed_pin(countries, tmp_path)
    with pytest.raises(Error) as caught, desk(countries):
        pass
    assert caught.value.code == "witness_policy_lost"
    assert "pinned foreign ledger" in caught.value.message
    assert f"remove {kept}" in caught.value.message and "federate remove" in caught.value.message


def test_removing_a_pin_removes_its_kept_witness_policy_durably(
    countries: Countries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_file, kept = kept_after_witnessed_pin(countries, tmp_path)
    synced: list[Path] = []
    monkeypatch.setattr(pins_module, "fsync_directory", synced.append)
    status, _, err = run("verifier", "federate", "remove", "abroad",
                         "--data-dir", str(countries.home.root))  # fmt: skip
    assert status == 0, err
    assert not kept.exists() and not trust_file.exists()
    assert not (trust_file.parent / "abroad.policy").exists()
    assert trust_file.parent in synced  # the removals are durable before it says so
    policy = tmp_path / "abroad.policy"
    pin_by_cli(countries, policy, "--offline")  # pinned again, without witnesses: opens
    with desk(countries):
        pass


def test_a_name_pinned_again_under_another_key_forgets_its_kept_witness_policy(
    countries: Countries, tmp_path: Path
) -> None:
    trust_file, kept = kept_after_witnessed_pin(countries, tmp_path)
    other = tmp_path / "other.policy"
    other.write_text(policy_text(countries.abroad, vkey=NoteSigner.generate("x.example/l").vkey()))
    pin_by_cli(countries, other, "--offline")
    assert not kept.exists() and not trust_file.exists()


def test_removing_an_unknown_pin_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    pins = Pins(tmp_path)
    (tmp_path / "abroad.checkpoint").write_text("a checkpoint")
    with pytest.raises(Error) as caught:
        pins.remove("abroad")
    assert caught.value.code == "federation_unknown"
    assert (tmp_path / "abroad.checkpoint").exists()


def test_a_pin_whose_policy_file_is_gone_is_removed_with_what_it_kept(
    countries: Countries, tmp_path: Path
) -> None:
    trust_file, kept = kept_after_witnessed_pin(countries, tmp_path)
    (trust_file.parent / "abroad.policy").unlink()  # a broken pin: removed without reading it
    status, _, err = run("verifier", "federate", "remove", "abroad",
                         "--data-dir", str(countries.home.root))  # fmt: skip
    assert status == 0, err
    assert not kept.exists() and not trust_file.exists()
    assert Pins(trust_file.parent).load() == ()
