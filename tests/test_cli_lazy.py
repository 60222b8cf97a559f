"""``civicid`` imports a part only when its command is called or its own help is asked for:
``--version`` and ``--help`` import none, ``civicid wallet …`` the wallet's alone. What each
prints is as when every part was imported up front: the root's help lists the parts by
summaries kept in ``cli.app``, held here to each part's own help."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

from cli.app import PARTS, Unloaded, loaded
from cli.main import app

ROOT = Path(__file__).resolve().parent.parent
# The modules of the parts (and the web framework only they import): none of them is needed
# to print the version or the root's help.
PART_MODULES = ("ledger.cli", "issuer.cli", "wallet.cli", "verifier.cli", "ledger.witness.cli",
                "cli.demo", "cli.up", "fastapi")  # fmt: skip


def imported_by(*args: str, modules: tuple[str, ...] = PART_MODULES) -> tuple[set[str], str]:
    """Which of ``modules`` (the parts') a fresh ``civicid ARGS`` has imported when it exits,
    and its output."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['civicid', *{list(args)!r}]\n"
        "from cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps(sorted(m for m in {list(modules)!r} if m in sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    *printed, last = done.stdout.splitlines()
    return set(json.loads(last)), "\n".join(printed)


def test_version_and_help_import_no_part() -> None:
    found, printed = imported_by("--version")
    assert found == set() and printed.startswith("civicid "), (found, printed)
    found, printed = imported_by("--help")
    assert found == set() and "witness" in printed, (found, printed)


def test_a_part_imports_itself_alone() -> None:
    found, printed = imported_by("wallet", "--help")
    assert found == {"wallet.cli"}, found
    assert "federate" in printed  # added to the wallet's group as it is imported


@pytest.mark.parametrize("name", list(PARTS))
def test_each_summary_is_the_parts_own(name: str) -> None:
    command = loaded(name, PARTS[name])
    assert inspect.cleandoc(command.help or "").split("\n\n")[0] == PARTS[name].summary


def render(*args: str) -> str:
    result = CliRunner().invoke(
        app, list(args), prog_name="civicid", env={"COLUMNS": "80", "NO_COLOR": "1"}
    )
    return f"{result.exit_code}\n{result.stdout}{result.stderr}"


def test_the_roots_help_is_as_with_every_part_imported() -> None:
    lazily = render("--help")
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    ctx = click.Context(root)
    for name in PARTS:
        assert not isinstance(root.get_command(ctx, name), Unloaded)
    assert render("--help") == lazily


def test_a_mistyped_part_is_still_suggested() -> None:
    said = render("ledgr")
    assert said.startswith("2\n") and "Did you mean 'ledger'?" in said, said


def test_the_ledgers_commands_import_no_web_framework() -> None:
    """``civicid ledger --help`` and the ledger's commands that serve nothing load no FastAPI:
    the mirror's app is imported by ``ledger mirror`` when it serves."""
    code = (
        "import sys, ledger.cli\n"
        "print(sorted(m for m in ('fastapi', 'starlette') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
