"""A passphrase field with a live strength hint under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from wallet.holder.vault import strength_hint


class PassphraseWithHint(Vertical):
    def __init__(self, placeholder: str, *, id: str) -> None:
        super().__init__(classes="passphrase")
        self.placeholder = placeholder
        self.input_id = id

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, password=True, compact=True, id=self.input_id)
        yield Label(strength_hint(""), classes="hint")

    def on_input_changed(self, event: Input.Changed) -> None:
        hint = self.query_one(".hint", Label)
        text = strength_hint(event.value)
        hint.update(text)
        hint.set_class(text == "strong", "hint-strong")
