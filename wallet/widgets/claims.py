"""Claims as rows: a credential's (label, value, can it be withheld), and a desk's request
(tick what to send: required ticked and fixed, optional free, not allowed off and locked)."""

from __future__ import annotations

import re
from typing import Any, Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Label

from wallet.holder.credentials import Credential
from wallet.holder.presentation import REQUIRED, ClaimChoice
from wallet.widgets.inert import plain
from wallet.widgets.words import child_words, claim_words, heading_words, value_words

# Nesting shown as indented groups; deeper than this, a value is shown on one line.
MAX_GROUP_DEPTH: Final = 3
INDENT: Final = "  "


def ordered(credential: Credential, path: tuple[str, ...], keys: list[str]) -> list[str]:
    """The claims ``keys`` under ``path`` in the order the type metadata lists them (an
    address as street, town, postcode), then any it does not list, as they came."""
    prefix = "".join(part + "." for part in path)
    listed = [n.removeprefix(prefix) for n in credential.labels if n.startswith(prefix)]
    return list(dict.fromkeys([*(k for k in listed if k in keys), *keys]))


class ClaimRows(Vertical):
    """Every claim of a credential and whether it can be withheld; an object claim (an
    address, the age predicates) as a labelled group with its parts indented under it."""

    def __init__(self, credential: Credential) -> None:
        super().__init__(classes="claims")
        self.credential = credential

    def compose(self) -> ComposeResult:
        claims = self.credential.claims
        for name in ordered(self.credential, (), list(claims)):
            yield from self.rows((name,), claims[name])

    def rows(self, path: tuple[str, ...], value: Any) -> ComposeResult:
        credential = self.credential
        name = ".".join(path)
        group = isinstance(value, dict) and value and len(path) < MAX_GROUP_DEPTH
        if len(path) == 1:
            words = heading_words if group else claim_words
            label = words(name, credential.labels)
        else:
            label = INDENT * (len(path) - 1) + child_words(
                ".".join(path[:-1]), path[-1], credential.labels
            )
        selectable = credential.is_disclosable(path) or any(
            p[: len(path)] == path for p in credential.disclosable
        )
        with Horizontal(classes="claim-row claim-group" if group else "claim-row"):
            yield Label(plain(label), classes="claim-label")
            yield Label(plain("" if group else value_words(value)), classes="claim-value")
            yield Label(
                "can keep back" if selectable else "always shown",
                classes="claim-mark " + ("mark-ok" if selectable else "mark-warn"),
            )
        if group:
            for key in ordered(credential, path, [str(k) for k in value]):
                yield from self.rows((*path, key), value[key])


MARKS = {REQUIRED: "required", "optional": "optional"}


def choice_label(choice: ClaimChoice) -> str:
    """The type metadata's label when the holder found one, else words from the name."""
    labelled = choice.label != choice.name
    return claim_words(choice.name, {choice.name: choice.label} if labelled else None)


class ChoiceRow(Horizontal):
    """One requested claim: a checkbox the citizen may (or may not) change, and why."""

    def __init__(self, choice: ClaimChoice) -> None:
        super().__init__(classes="choice-row")
        self.choice = choice

    def compose(self) -> ComposeResult:
        choice = self.choice
        locked = choice.requirement == REQUIRED or not choice.allowed or not choice.disclosable
        yield Checkbox(
            plain(choice_label(choice)),
            value=choice.allowed,
            disabled=locked,
            compact=True,
            id="claim-" + re.sub(r"[^A-Za-z0-9_-]", "-", choice.name),
            tooltip="Required by the desk"
            if choice.requirement == REQUIRED
            else "Untick to keep it",
        )
        yield Label(plain(value_words(choice.value)), classes="claim-value")
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

    def declined(self) -> None:
        """The request was declined: whatever was ticked, nothing went ("sent" beside a
        claim under "Declined" read as if it had)."""
        label = self.query_one(".claim-mark", Label)
        what = MARKS[self.choice.requirement] if self.choice.allowed else "✘ NOT ALLOWED"
        label.update(f"{what} · not sent")

    @property
    def ticked(self) -> bool:
        return self.query_one(Checkbox).value

    def unlock_override(self) -> None:
        """After the explicit warning: a not-allowed claim may be ticked by hand."""
        box = self.query_one(Checkbox)
        box.disabled = False
        box.value = False
