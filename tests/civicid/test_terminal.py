"""A hidden prompt reads what was typed before it asked (the passphrase typed while a busy
machine loads the command) and echoes none of it; getpass flushed those keys, so the
passphrase typed ahead was lost and typed again."""

from __future__ import annotations

import io
import os
import termios
import threading

import pytest

from civicid.terminal import hidden_line, unechoed
from tests.test_entry_point import shown, terminal  # noqa: F401 (a pseudo-terminal)


def test_keys_typed_ahead_are_the_answer_and_never_shown(
    terminal: tuple[int, int],  # noqa: F811
) -> None:
    keyboard, program = terminal
    asked = io.StringIO()
    with open(program, closefd=False) as stdin:
        with unechoed(stdin):  # as cli.main loads a wallet command
            os.write(keyboard, b"correct horse\n")  # typed before the prompt
            assert b"correct horse" not in shown(keyboard)  # the terminal has taken them
        # Typed again later, as the citizen would once the first was lost (flushed).
        again = threading.Timer(1.0, os.write, (keyboard, b"typed again\n"))
        again.start()
        try:
            assert hidden_line("Wallet passphrase", stdin, asked) == "correct horse"
        finally:
            again.cancel()
    assert asked.getvalue() == "Wallet passphrase: \n"
    assert b"correct horse" not in shown(keyboard)


def test_typed_at_the_prompt_unechoed_empty_asked_again_echo_back_after(
    terminal: tuple[int, int],  # noqa: F811
) -> None:
    keyboard, program = terminal
    with open(program, closefd=False) as stdin:
        assert termios.tcgetattr(program)[3] & termios.ECHO
        # Typed once it asks: an empty line first, which is asked again.
        typing = threading.Timer(0.5, os.write, (keyboard, b"\nsecret words\n"))
        typing.start()
        asked = io.StringIO()
        assert hidden_line("Passphrase", stdin, asked) == "secret words"
        assert asked.getvalue() == "Passphrase: \nPassphrase: \n"
        assert termios.tcgetattr(program)[3] & termios.ECHO
    assert b"secret" not in shown(keyboard)


def test_the_end_of_input_is_no_answer() -> None:
    with pytest.raises(EOFError):
        hidden_line("Passphrase", io.StringIO(""), io.StringIO())
