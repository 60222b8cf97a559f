"""A desk's policy directory this user may not read (a restore or a ``chmod`` that left it
to another user): refused, naming it (``policy_invalid``, "cannot read"), as an unreadable
policy file is. Before, ``Path.glob`` passed the error over and listed nothing: the desk
started with no policy at all (``/policies`` answered ``[]``, an empty desk page, every
request ``policy_unknown``) and nothing said why.

Tests run as root, whom no mode bars: the directory is made unreadable by refusing, as the
kernel refuses a user without the right, every listing of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from tests import odd_files
from tests.verifier.world import EXAMPLES
from verifier.policy import load_policies


def test_a_policy_directory_that_cannot_be_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "policies"
    directory.mkdir()
    (directory / "age-check.toml").write_bytes((EXAMPLES / "age-check.toml").read_bytes())
    assert list(load_policies(directory)) == ["age-check"]

    odd_files.deny_listing(monkeypatch, directory)
    with pytest.raises(Error) as caught:
        load_policies(directory)
    assert caught.value.code == "policy_invalid"
    assert str(directory) in caught.value.message and "cannot read" in caught.value.message


def test_only_toml_files_are_policies(tmp_path: Path) -> None:
    """Listed by name, as the glob listed them: every ``*.toml``, nothing else."""
    (tmp_path / "age-check.toml").write_bytes((EXAMPLES / "age-check.toml").read_bytes())
    (tmp_path / "notes.txt").write_text("not a policy")
    (tmp_path / "age-check.toml.bak").write_text("not a policy")
    assert list(load_policies(tmp_path)) == ["age-check"]
