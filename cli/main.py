"""The ``civicid`` command's entry point.

Importing the wallet's part takes a second or more on a busy machine. A citizen who opens
the wallet app types the passphrase meanwhile, and until the app takes the terminal over,
the terminal echoes what is typed: the passphrase would stand in clear on the screen, and in
its scrollback once the app ends. So when the command is the wallet app, echo is turned off
before anything is imported (the keys stay in the terminal's buffer: the app reads them) and
put back as it was when the command ends. A wallet command that asks for the passphrase is
loaded with echo off too, and its prompt reads the keys typed ahead.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from civicid.terminal import unechoed

if TYPE_CHECKING:
    import typer

# The wallet group's only option before a command (``civicid.console.DataDir``).
DATA_DIR_OPTION = "--data-dir"


def opens_wallet_app(args: Sequence[str]) -> bool:
    """Whether ``civicid args`` opens the wallet app: ``wallet`` with no command after it,
    ``--data-dir`` its only option (``--help`` and every command print or ask otherwise)."""
    if not args or args[0] != "wallet":
        return False
    rest = iter(args[1:])
    for arg in rest:
        if arg == DATA_DIR_OPTION:
            next(rest, None)
        elif not arg.startswith(DATA_DIR_OPTION + "="):
            return False
    return True


def asks_wallet_passphrase(args: Sequence[str]) -> bool:
    """Whether ``civicid args`` is a wallet command, which asks for the passphrase once
    loaded (its ``--help`` asks nothing)."""
    return args[:1] == ["wallet"] and not opens_wallet_app(args) and "--help" not in args


def main() -> None:
    args = sys.argv[1:]
    if opens_wallet_app(args):
        with unechoed(sys.stdin):
            run()
        return
    if asks_wallet_passphrase(args):
        # Typed while the parts load, the passphrase is not echoed either, and its prompt
        # reads it (``civicid.terminal.hidden_line``); echo is back on for what it asks next.
        with unechoed(sys.stdin):
            load()
    run()


def load() -> None:
    """The wallet's part imported (``cli.app`` imports a part when its command is called)."""
    from cli.app import PARTS

    PARTS["wallet"].load()


def run() -> None:
    from cli.app import app

    app()


def __getattr__(name: str) -> typer.Typer:
    """``cli.main.app``, the whole command, imported when asked for."""
    if name == "app":
        from cli.app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    main()
