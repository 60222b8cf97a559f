"""A passphrase field with a live strength hint under it."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from wallet.holder.vault import MIN_PASSPHRASE_CHARS, strength_hint


def hint(typed: str) -> str:
    """What is asked before anything is typed (not "too short" at an empty field), then
    how the passphrase typed so far measures up."""
    if not typed:
        return f"at least {MIN_PASSPHRASE_CHARS} characters; several words are easiest"
    return strength_hint(typed)


class PassphraseWithHint(Vertical):
    def __init__(self, placeholder: str, *, id: str) -> None:
        super().__init__(classes="passphrase")
        self.placeholder = placeholder
        self.input_id = id

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, password=True, compact=True, id=self.input_id)
        yield Label(hint(""), classes="hint")

    def on_input_changed(self, event: Input.Changed) -> None:
        label = self.query_one(".hint", Label)
        text = hint(event.value)
        label.update(text)
        label.set_class(text == "strong", "hint-strong")


class TypedAheadInput(Input):
    """A field that may be typed into before the app starts (the first unlock): the terminal
    still translates Enter as it does for a shell until the app takes it over, so an Enter
    typed ahead arrives as a newline (ctrl+j), after the letters before it. Taken as Enter
    here, in the field's own turn: the passphrase and Enter typed ahead open the wallet."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+j", "submit", "Submit", show=False, id="typed-ahead-enter")
    ]


class FreshInput(Input):
    """A field over the screens a lock covers that takes only what was typed once it had
    the focus: keys typed before (at another screen's field, say, when the wallet locked
    itself over it, and delivered once this took the focus) are not its to take. A
    passphrase field that took them would hold letters its owner never meant for it, and
    Enter would send them as a wrong passphrase.

    The line is drawn once, at the first focus: the field given the focus again later (the
    terminal back in front) takes keys typed before that, which are the person's (they saw
    the lock). A field with nothing under it (the first unlock) is a plain ``Input``: keys
    typed ahead of it, while the app starts, are meant for it."""

    since: float | None = None  # when it first took the focus (the Focus event's time)

    def on_focus(self, event: events.Focus) -> None:
        if self.since is None:
            self.since = event.time

    async def _on_key(self, event: events.Key) -> None:
        if self.since is None or event.time < self.since:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)
