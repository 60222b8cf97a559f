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
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.policy import POLICY_INVALID
from cli.main import app
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


@pytest.mark.parametrize("damage", ["denied", "a file", "missing"])
def test_init_from_a_policy_directory_that_cannot_be_read_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """``verifier init --policies DIR``: said as the directory it cannot read, not as one
    holding no policy files (which ``Path.glob`` made of all three)."""
    source = tmp_path / "source"
    if damage == "denied":
        source.mkdir()
        (source / "age-check.toml").write_bytes((EXAMPLES / "age-check.toml").read_bytes())
        odd_files.deny_listing(monkeypatch, source)
    elif damage == "a file":
        source.write_text("not a directory")
    result = CliRunner().invoke(
        app,
        [
            "verifier",
            "init",
            "--data-dir",
            str(tmp_path / "d"),
            "--desk",
            "desk",
            "--policies",
            str(source),
        ],
    )
    assert result.exit_code == POLICY_INVALID.exit_code, result.output
    line = result.stderr.strip()
    assert line.startswith(f"error: cannot read {source}: ") and line.endswith("[policy_invalid]")
    assert not (tmp_path / "d").exists()
