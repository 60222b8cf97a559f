"""Claims as rows: a credential's (label, value, can it be withheld), and a desk's request
(tick what to send: required ticked and fixed, optional free, not allowed off and locked)."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Label

from wallet.holder.credentials import Credential
from wallet.holder.presentation import REQUIRED, ClaimChoice
from wallet.widgets.inert import plain


def show_value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class ClaimRows(Vertical):
    """Every claim of a credential and whether it can be withheld."""

    def __init__(self, credential: Credential) -> None:
        super().__init__(classes="claims")
        self.credential = credential

    def compose(self) -> ComposeResult:
        credential = self.credential
        for name, value in credential.claims.items():
            with Horizontal(classes="claim-row"):
                yield Label(plain(credential.label((name,))), classes="claim-label")
                yield Label(plain(show_value(value)), classes="claim-value")
                selectable = any(p[:1] == (name,) for p in credential.disclosable)
                yield Label(
                    "can withhold" if selectable else "always shown",
                    classes="claim-mark " + ("mark-ok" if selectable else "mark-warn"),
                )


MARKS = {REQUIRED: "required", "optional": "optional"}


class ChoiceRow(Horizontal):
    """One requested claim: a checkbox the citizen may (or may not) change, and why."""

    def __init__(self, choice: ClaimChoice) -> None:
        super().__init__(classes="choice-row")
        self.choice = choice

    def compose(self) -> ComposeResult:
        choice = self.choice
        locked = choice.requirement == REQUIRED or not choice.allowed or not choice.disclosable
        yield Checkbox(
            plain(choice.label),
            value=choice.allowed,
            disabled=locked,
            compact=True,
            id="claim-" + re.sub(r"[^A-Za-z0-9_-]", "-", choice.name),
            tooltip="Required by the desk"
            if choice.requirement == REQUIRED
            else "Untick to keep it",
        )
        yield Label(plain(show_value(choice.value)), classes="claim-value")
        yield Label(self.mark(choice.allowed), classes="claim-mark")

    def mark(self, ticked: bool) -> str:
        """Words, not colour alone: what the desk requires, and whether it goes."""
        choice = self.choice
        if not choice.allowed:
            return "✘ NOT ALLOWED · sent!" if ticked else "✘ NOT ALLOWED · not sent"
        return f"{MARKS[choice.requirement]} · " + ("sent" if ticked else "kept back")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        label = self.query_one(".claim-mark", Label)
        label.update(self.mark(event.value))
        label.set_class(not self.choice.allowed, "mark-bad")
        label.set_class(self.choice.allowed, "mark-ok")

    def on_mount(self) -> None:
        label = self.query_one(".claim-mark", Label)
        label.set_class(not self.choice.allowed, "mark-bad")
        label.set_class(self.choice.allowed, "mark-ok")

    @property
    def ticked(self) -> bool:
        return self.query_one(Checkbox).value

    def unlock_override(self) -> None:
        """After the explicit warning: a not-allowed claim may be ticked by hand."""
        box = self.query_one(Checkbox)
        box.disabled = False
        box.value = False
