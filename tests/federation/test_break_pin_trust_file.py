"""A pin's trust file (``<name>.checkpoint``: the newest checkpoint the desk accepted from that
ledger) goes with the pin: removed by ``federate remove``, dropped when the name is pinned
again under another key. Left behind, it was the old ledger's checkpoint, refused under the
new key at every start: the desk could not open until it was found and removed by hand."""

from __future__ import annotations

from pathlib import Path

from civicid.checkpoint import NoteSigner
from tests.federation.test_cli import run
from tests.federation.world import Countries, desk, policy_text
from tests.verifier.attacks import fresh, passes
from tests.verifier.world import NATIONAL_ID, settings_for


def pin_by_cli(countries: Countries, policy: Path, *extra: str) -> None:
    governance = countries.abroad.genesis.governance.did
    status, _, err = run("verifier", "federate", "add", "abroad",
                         "--data-dir", str(countries.home.root), "--policy", str(policy),
                         "--url", countries.abroad_url, "--type", NATIONAL_ID,
                         "--governance", governance, *extra)  # fmt: skip
    assert status == 0, err


def checked_once(countries: Countries) -> Path:
    abroad = countries.abroad
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        passes(verifier, presentation, nonce=nonce)
    trust_file = settings_for(countries.home.root).federation_path / "abroad.checkpoint"
    assert trust_file.exists()
    return trust_file


def pinned_and_checked(countries: Countries, tmp_path: Path) -> tuple[Path, Path]:
    """The foreign ledger pinned by the command line and one of its credentials checked: its
    policy file, and the trust file the check left."""
    policy = tmp_path / "abroad.policy"
    policy.write_text(policy_text(countries.abroad))
    pin_by_cli(countries, policy)
    return policy, checked_once(countries)


def test_removing_a_pin_removes_its_trust_file(countries: Countries, tmp_path: Path) -> None:
    _, trust_file = pinned_and_checked(countries, tmp_path)
    status, _, err = run("verifier", "federate", "remove", "abroad",
                         "--data-dir", str(countries.home.root))  # fmt: skip
    assert status == 0, err
    assert not trust_file.exists()


def test_a_name_pinned_again_under_another_key_starts_afresh(
    countries: Countries, tmp_path: Path
) -> None:
    policy, trust_file = pinned_and_checked(countries, tmp_path)
    other = tmp_path / "other.policy"
    other.write_text(policy_text(countries.abroad, vkey=NoteSigner.generate("x.example/l").vkey()))
    pin_by_cli(countries, other, "--offline")
    assert not trust_file.exists()
    with desk(countries):  # opens: no checkpoint of another ledger to refuse
        pass
    pin_by_cli(countries, policy)  # the first ledger again: accepted afresh
    assert checked_once(countries).exists()


def test_pinning_the_same_ledger_again_keeps_its_trust_file(
    countries: Countries, tmp_path: Path
) -> None:
    policy, trust_file = pinned_and_checked(countries, tmp_path)
    kept = trust_file.read_bytes()
    pin_by_cli(countries, policy, "--type", "https://civicid.example/vct/other")
    assert trust_file.read_bytes() == kept  # a rollback of the same ledger is still caught


def test_a_pin_is_not_removed_or_repinned_elsewhere_under_a_running_desk(
    countries: Countries, tmp_path: Path
) -> None:
    """The desk running with the pin keeps its checkpoint in memory and would write it again
    at its next one: the old ledger's checkpoint, back beside a pin of another key (refused at
    the next start), or beside no pin at all. So both wait for it to stop."""
    policy, trust_file = pinned_and_checked(countries, tmp_path)
    kept = trust_file.read_bytes()
    other = tmp_path / "other.policy"
    other.write_text(policy_text(countries.abroad, vkey=NoteSigner.generate("x.example/l").vkey()))
    home = str(countries.home.root)
    with desk(countries):
        status, _, err = run("verifier", "federate", "remove", "abroad", "--data-dir", home)
        assert status == 1 and "[trust_file_in_use]" in err, err
        governance = countries.abroad.genesis.governance.did
        status, _, err = run("verifier", "federate", "add", "abroad", "--data-dir", home,
                             "--policy", str(other), "--url", countries.abroad_url,
                             "--type", NATIONAL_ID, "--governance", governance,
                             "--offline")  # fmt: skip
        assert status == 1 and "[trust_file_in_use]" in err, err
        status, out, err = run("verifier", "federate", "list", "--data-dir", home, "--json")
        assert status == 0 and '"abroad"' in out, err  # still pinned, to the same ledger:
        assert (trust_file.parent / "abroad.policy").read_text() == policy.read_text()
        assert trust_file.read_bytes() == kept
    pin_by_cli(countries, other, "--offline")  # the desk stopped: done
    assert not trust_file.exists()
    status, _, err = run("verifier", "federate", "remove", "abroad", "--data-dir", home)
    assert status == 0, err
