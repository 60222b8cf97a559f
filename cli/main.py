"""The ``civicid`` command's entry point.

Importing every part (``cli.app``) takes seconds on a busy machine. A citizen who opens the
wallet app types the passphrase meanwhile, and until the app takes the terminal over, the
terminal echoes what is typed: the passphrase would stand in clear on the screen, and in its
scrollback once the app ends. So when the command is the wallet app, echo is turned off
before the parts are imported (the keys stay in the terminal's buffer: the app reads them)
and put back as it was when the command ends.
"""

from __future__ import annotations

import sys
import termios
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, TextIO

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


@contextmanager
def unechoed(stream: TextIO) -> Iterator[None]:
    """``stream``'s terminal with echo off, and as it was again after; nothing when
    ``stream`` is no terminal. Typed keys are kept (``TCSANOW``: nothing is flushed)."""
    try:
        descriptor = stream.fileno()
        before = termios.tcgetattr(descriptor)
    except (OSError, ValueError, termios.error):  # no terminal, or a closed one
        yield
        return
    quiet = list(before)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(descriptor, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        with suppress(termios.error):  # the terminal went away with the app
            termios.tcsetattr(descriptor, termios.TCSANOW, before)


def main() -> None:
    args = sys.argv[1:]
    if opens_wallet_app(args):
        with unechoed(sys.stdin):
            run()
    else:
        run()


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
