"""The ``civicid`` entry point: while the parts are imported before the wallet app starts,
or before a wallet command asks for the passphrase, what the citizen types (the passphrase)
is not echoed, and is kept for the app or the prompt."""

from __future__ import annotations

import os
import select
import sys
import termios
from collections.abc import Iterator

import pytest

import cli.main
from cli.main import asks_wallet_passphrase, opens_wallet_app, unechoed


@pytest.mark.parametrize(
    ("args", "opens"),
    [
        (["wallet"], True),
        (["wallet", "--data-dir", "/tmp/w"], True),
        (["wallet", "--data-dir=/tmp/w"], True),
        (["wallet", "--data-dir"], True),
        (["wallet", "list"], False),
        (["wallet", "--data-dir", "/tmp/w", "list"], False),
        (["wallet", "--help"], False),
        (["wallet", "init"], False),
        (["verifier"], False),
        (["up"], False),
        ([], False),
    ],
)
def test_which_commands_open_the_wallet_app(args: list[str], opens: bool) -> None:
    assert opens_wallet_app(args) is opens


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the keyboard's and screen's end, the program's end)."""
    keyboard, program = os.openpty()
    try:
        yield keyboard, program
    finally:
        os.close(keyboard)
        os.close(program)


def echoes(descriptor: int) -> bool:
    return bool(termios.tcgetattr(descriptor)[3] & termios.ECHO)


def shown(keyboard: int) -> bytes:
    """What the terminal has put on the screen so far."""
    out = b""
    while select.select([keyboard], [], [], 0.2)[0]:
        out += os.read(keyboard, 1024)
    return out


def test_typed_keys_are_not_echoed_and_are_kept(terminal: tuple[int, int]) -> None:
    keyboard, program = terminal
    with open(program, closefd=False) as stdin:  # a view of the descriptor
        assert echoes(program)
        with unechoed(stdin):
            assert not echoes(program)
            os.write(keyboard, b"correct horse\n")
            assert b"correct horse" not in shown(keyboard)
        assert echoes(program)
        assert os.read(program, 100) == b"correct horse\n"


def test_echo_is_on_again_when_the_command_fails(terminal: tuple[int, int]) -> None:
    _keyboard, program = terminal
    with open(program, closefd=False) as stdin:
        with pytest.raises(SystemExit), unechoed(stdin):
            raise SystemExit(3)
        assert echoes(program)


def test_no_terminal_is_left_alone() -> None:
    with open(os.devnull) as stdin, unechoed(stdin):
        pass  # nothing to turn off, nothing raised


def test_main_imports_the_parts_unechoed_only_for_the_wallet_app(
    terminal: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _keyboard, program = terminal
    seen: list[bool] = []
    monkeypatch.setattr(cli.main, "run", lambda: seen.append(echoes(program)))
    with open(program, closefd=False) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        for args in (["civicid", "wallet"], ["civicid", "wallet", "list"]):
            monkeypatch.setattr(sys, "argv", args)
            cli.main.main()
    assert seen == [False, True]
    assert echoes(program)


def test_the_whole_command_is_still_cli_main_app() -> None:
    from cli.app import app

    assert cli.main.app is app
    with pytest.raises(AttributeError):
        _ = cli.main.nothing  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "asks"),
    [
        (["wallet", "list"], True),
        (["wallet", "--data-dir", "/tmp/w", "present", "openid4vp://x"], True),
        (["wallet"], False),  # the app: unechoed the whole time
        (["wallet", "list", "--help"], False),
        (["issuer", "revoke", "x"], False),
        ([], False),
    ],
)
def test_which_commands_load_unechoed_for_the_passphrase(args: list[str], asks: bool) -> None:
    assert asks_wallet_passphrase(args) is asks


def test_a_wallet_command_loads_unechoed_and_runs_echoed(
    terminal: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _keyboard, program = terminal
    seen: list[tuple[str, bool]] = []
    monkeypatch.setattr(cli.main, "load", lambda: seen.append(("load", echoes(program))))
    monkeypatch.setattr(cli.main, "run", lambda: seen.append(("run", echoes(program))))
    with open(program, closefd=False) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        for args in (["civicid", "wallet", "list"], ["civicid", "issuer", "credentials"]):
            monkeypatch.setattr(sys, "argv", args)
            cli.main.main()
    # Its confirmations (y/N) and what it prints come once it runs, echoed as typed.
    assert seen == [("load", False), ("run", True), ("run", True)]
    assert echoes(program)
