"""A witness's data directory damaged by a failing disk or a person: every command prints
one line ``error: … [code]`` and exits non-zero, never a traceback, and leaves the rest as it
was."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from ledger.witness.errors import WITNESS_SETTINGS_INVALID, WITNESS_STATE_UNREADABLE
from tests.witness.logs import Log

LOG_VKEY = Log().signer.vkey()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def one_line(err: str, code: str) -> None:
    assert err.startswith("error: ") and err.rstrip().endswith(f"[{code}]"), err
    assert len(err.strip().splitlines()) == 1, err


def witness(tmp_path: Path) -> Path:
    root = tmp_path / "w"
    code, err = run("witness", "init", "--data-dir", str(root), "--name", "w1.example",
                    "--log", LOG_VKEY)  # fmt: skip
    assert code == 0, err
    return root


def test_a_file_where_the_state_directory_goes(tmp_path: Path) -> None:
    root = witness(tmp_path)
    (root / "witness").write_text("not a directory\n")
    code, err = run("witness", "serve", "--data-dir", str(root), "--port", "0")
    # Its state directory cannot be listed, as a file where the evidence directory goes.
    assert code == WITNESS_STATE_UNREADABLE.exit_code
    one_line(err, WITNESS_STATE_UNREADABLE.name)
    assert "the witness's state directory" in err and "Not a directory" in err
    assert (root / "witness").read_text() == "not a directory\n"


def test_settings_that_are_not_utf8(tmp_path: Path) -> None:
    root = witness(tmp_path)
    (root / "witness.toml").write_bytes(b"\xff\xfe[[logs]]\n")
    for command in (["status"], ["serve", "--port", "0"], ["add-log", LOG_VKEY]):
        code, err = run("witness", *command, "--data-dir", str(root))
        assert code == 1, command
        one_line(err, WITNESS_SETTINGS_INVALID.name)
    assert (root / "witness.toml").read_bytes() == b"\xff\xfe[[logs]]\n"


def test_settings_nested_too_deeply(tmp_path: Path) -> None:
    root = witness(tmp_path)
    deep = "logs = " + "[" * 5000 + "]" * 5000 + "\n"
    (root / "witness.toml").write_text(deep)
    code, err = run("witness", "status", "--data-dir", str(root))
    assert code == 1
    one_line(err, WITNESS_SETTINGS_INVALID.name)
    assert (root / "witness.toml").read_text() == deep


def test_add_log_with_an_origin_that_is_not_one_line_or_too_long(tmp_path: Path) -> None:
    root = witness(tmp_path)
    before = (root / "witness.toml").read_bytes()
    for origin in ("log\x1b[31m.example", "a" * 5000):
        code, err = run("witness", "add-log", "--data-dir", str(root), LOG_VKEY, "--origin", origin)
        assert code == 1
        one_line(err, WITNESS_SETTINGS_INVALID.name)
        assert "\x1b" not in err
    assert (root / "witness.toml").read_bytes() == before
