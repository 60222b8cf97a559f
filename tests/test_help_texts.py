"""Every ``--help`` of the ledger, issuer, wallet, verifier, demo and up reads well at 80 columns:
each option with a default shows it (a ``[default: …]`` typed into a help text is taken by
Rich for markup and vanishes), no text is cut short, and a paragraph is not broken where
the source wrapped it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import shellingham
import typer
from typer import _click as click
from typer.core import TyperOption
from typer.testing import CliRunner

from cli.main import app

GROUPS = ("ledger", "issuer", "wallet", "verifier", "witness")
# Options whose default is nothing to show: a flag off, a secret, the help itself.
NOTHING_TO_SHOW = {"help", "as_json", "api_key"}


def command_of(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:  # as the command line reaches it: a part is imported when asked for
        command = command.get_command(click.Context(command), name)
    return command


def commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [("demo",), ("up",)]
    for group in GROUPS:
        found += [(group, name) for name in command_of((group,)).commands]
    return found


def with_default(command: Any) -> list[TyperOption]:
    """The options that have a default to show: a value, or words saying where it comes
    from; not an on/off flag that is off (its absence says it), not a secret, not the help.
    An option with neither (``None``: not given) has nothing to show."""
    return [
        p
        for p in command.params
        if isinstance(p, TyperOption)
        and p.name not in NOTHING_TO_SHOW
        and not p.required
        and p.show_default is not False
        and (p.default is not None or isinstance(p.show_default, str))
        and not (p.is_flag and not p.secondary_opts and p.default is False)
    ]


def rendered(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(
        app, [*path, "--help"], prog_name="civicid", env={"COLUMNS": "80", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("path", commands(), ids=" ".join)
def test_help_shows_every_default_at_80_columns(path: tuple[str, ...]) -> None:
    text = rendered(path)
    lines = text.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines), text
    assert not [line for line in lines if re.search(r"…\s*│$", line)], text  # none cut short
    assert " ." not in text and " ," not in text, text  # the trace of an eaten [default: …]
    command = command_of(path)
    wanted = with_default(command)
    assert text.count("[default:") >= len(wanted), (
        [p.name for p in wanted],
        text,
    )
    for option in command.params:
        assert "[default" not in (getattr(option, "help", None) or ""), option.name
    for paragraph in (command.help or "").split("\n\n"):
        assert "\n" not in paragraph.strip(), paragraph  # reflowed for the terminal's width


def flags(command: Any) -> list[str]:
    """The long names of ``command``'s options that take no value (on/off flags)."""
    return [
        name
        for p in command.params
        if isinstance(p, TyperOption) and p.is_flag and not p.count
        for name in (*p.opts, *p.secondary_opts)
        if name.startswith("--")
    ]


@pytest.mark.parametrize("path", [(), *commands()], ids=lambda p: " ".join(p) or "civicid")
def test_a_flag_shows_no_value_after_it(path: tuple[str, ...]) -> None:
    """``--json``, ``--yes``, ``--help``: nothing after a flag reads as a value it would take
    (``--json <bool>`` reads as ``--json true``)."""
    text = rendered(path)
    assert "<bool>" not in text, text
    for flag in [*flags(command_of(path)), "--help"]:
        at = re.escape(flag)
        for line in text.splitlines():
            if re.match(rf"│ {at}\s", line):
                assert not re.match(rf"│ {at}\s+(?:-\w\s+)?<", line), line


def test_shell_completion_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    """``civicid --install-completion`` exists, and the script it installs completes the
    command's groups and commands (bash shown; zsh, fish and PowerShell likewise).

    ``--show-completion`` is a flag: the script is for the shell that runs the command, found
    by walking up the process tree. The person here runs bash, whatever shell started the
    tests (under ``sh`` or ``dash`` the command says that shell is not supported)."""
    monkeypatch.setattr(shellingham, "detect_shell", lambda *_: ("bash", "/bin/bash"))
    runner = CliRunner()
    assert "--install-completion" in rendered(())
    shown = runner.invoke(app, ["--show-completion"], prog_name="civicid")
    assert shown.exit_code == 0, shown.output
    assert "_CIVICID_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _civicid_completion civicid" in shown.stdout
    env = {"_CIVICID_COMPLETE": "complete_bash", "COMP_WORDS": "civicid ledger acc"}
    completed = runner.invoke(app, [], prog_name="civicid", env={**env, "COMP_CWORD": "2"})
    assert completed.stdout.split() == ["accredit-issuer", "accredit-verifier"], completed.output
