"""The terminal's echo, off while a secret is typed: before a command has loaded (the
entry point, ``cli.main``) and at a hidden prompt. Imports nothing but the standard library:
the entry point uses it before anything else is loaded."""

from __future__ import annotations

import sys
import termios
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TextIO


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
        with suppress(termios.error):  # the terminal went away with the command
            termios.tcsetattr(descriptor, termios.TCSANOW, before)


def hidden_line(prompt: str, stdin: TextIO | None = None, out: TextIO | None = None) -> str:
    """A line typed at ``stdin``'s terminal, not echoed, asked again while empty; EOFError at
    the end of input. Unlike ``getpass``, which flushes what was typed before it asks, the
    keys typed ahead (the passphrase, while a busy machine loads the command, its echo off
    meanwhile) are the answer: flushed, they were lost, and the citizen typed it twice."""
    stdin = stdin or sys.stdin
    out = out or sys.stderr
    while True:
        out.write(f"{prompt}: ")
        out.flush()
        with unechoed(stdin):
            line = stdin.readline()
        out.write("\n")
        out.flush()
        if not line:
            raise EOFError
        typed = line.rstrip("\r\n")
        if typed:
            return typed
