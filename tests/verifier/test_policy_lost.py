"""A policy ``verifier init`` installed whose file is gone (a restore that missed it, a slip)
stops the desk (``policy_lost``, naming the file and both ways on) instead of starting it
without that policy: its option gone from the staff's page, and nothing saying why. Removing
one on purpose is ``civicid verifier remove-policy NAME``; a directory init never installed
(set up by hand, or before the names were kept) is read as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicid.errors import Error
from tests.verifier.test_cli import civicid, clock, init, ledger_url  # noqa: F401 - fixtures
from tests.verifier.world import EXAMPLES, World
from verifier.policy import INSTALLED_FILE, load_policies, record_installed, remove_policy
from verifier.settings import VerifierSettings


def policies(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    for path in EXAMPLES.glob("*.toml"):
        (directory / path.name).write_bytes(path.read_bytes())
    return directory


def refused(directory: Path, code: str) -> Error:
    with pytest.raises(Error) as caught:
        load_policies(directory)
    assert caught.value.code == code, caught.value
    return caught.value


def test_a_policy_installed_and_gone_is_refused_naming_it(tmp_path: Path) -> None:
    directory = policies(tmp_path)
    names = record_installed(directory)
    assert "housing-benefit" in names and list(load_policies(directory)) == list(names)
    (directory / "housing-benefit.toml").unlink()
    error = refused(directory, "policy_lost")
    assert str(directory / "housing-benefit.toml") in error.message
    assert "remove-policy housing-benefit" in error.message
    assert error.details == {"lost": ["housing-benefit"]}


def test_removed_on_purpose_it_is_served_without(tmp_path: Path) -> None:
    directory = policies(tmp_path)
    names = record_installed(directory)
    assert remove_policy(directory, "housing-benefit") is True
    assert not (directory / "housing-benefit.toml").exists()
    assert list(load_policies(directory)) == [n for n in names if n != "housing-benefit"]
    (directory / "age-check.toml").unlink()  # lost: the record still names it
    refused(directory, "policy_lost")
    assert remove_policy(directory, "age-check") is False  # said meant: the file was gone
    assert "age-check" not in load_policies(directory)


@pytest.mark.parametrize("name", ["no-such-policy", "../escape", "Upper"])
def test_removing_a_policy_the_desk_has_not_is_refused(tmp_path: Path, name: str) -> None:
    directory = policies(tmp_path)
    record_installed(directory)
    before = sorted(p.name for p in directory.iterdir())
    with pytest.raises(Error) as caught:
        remove_policy(directory, name)
    assert caught.value.code == "policy_unknown"
    assert sorted(p.name for p in directory.iterdir()) == before


def test_a_directory_init_never_installed_is_read_as_before(tmp_path: Path) -> None:
    directory = policies(tmp_path)
    (directory / "housing-benefit.toml").unlink()
    assert "housing-benefit" not in load_policies(directory)


@pytest.mark.parametrize(
    "damage", [b"\xff\xfe", b"../../etc/passwd\n", b"x\n" * 300, b"a" * 20_000]
)
def test_a_damaged_record_is_refused_naming_it(tmp_path: Path, damage: bytes) -> None:
    directory = policies(tmp_path)
    (directory / INSTALLED_FILE).write_bytes(damage)
    error = refused(directory, "policy_invalid")
    assert str(directory / INSTALLED_FILE) in error.message


def test_the_command_line_says_it_and_removes_it(
    world: World,
    ledger_url: str,  # noqa: F811
) -> None:
    root = str(world.root)
    init(world, ledger_url)
    directory = VerifierSettings.load(world.root).policies_path
    (directory / "housing-benefit.toml").unlink()
    code, _, err = civicid("verifier", "policies", "--data-dir", root)
    assert code == 1 and err.rstrip().endswith("[policy_lost]"), err
    assert len(err.strip().splitlines()) == 1, err
    code, out, err = civicid("verifier", "remove-policy", "housing-benefit", "--data-dir", root,
                             "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {"policy": "housing-benefit", "removed": True, "hadFile": False}
    code, out, err = civicid("verifier", "policies", "--data-dir", root, "--json")
    assert code == 0, err
    assert "housing-benefit" not in {p["name"] for p in json.loads(out)}
    code, _, err = civicid("verifier", "remove-policy", "housing-benefit", "--data-dir", root)
    assert code != 0 and err.rstrip().endswith("[policy_unknown]"), err
