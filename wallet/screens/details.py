"""One credential: every claim, which can be withheld, where it came from, its copies; and
its removal, once confirmed."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, Static

from civicid.errors import Error
from wallet.holder.credentials import Credential
from wallet.holder.wallet import Wallet
from wallet.screens.error import ConfirmModal, ErrorModal
from wallet.widgets.card import WHAT_NOW, StatusBadge
from wallet.widgets.claims import ClaimRows
from wallet.widgets.footer import KeysFooter
from wallet.widgets.inert import facts, plain
from wallet.widgets.words import day, when


def removal_question(credential: Credential) -> Content:
    return plain(f"Remove your {credential.title} ({credential.id})?")


def removal_warning(credential: Credential, now: int) -> Content:
    """What removing the card means: said in the question's place, before any key is hit."""
    status = credential.status(now)
    if status in WHAT_NOW:
        why = f"It is {status}: no desk accepts it. "
    else:
        why = "Desks still accept it: remove it only if you no longer want it. "
    return plain(
        why + "It is deleted from this wallet and cannot be brought back but from a backup. "
        "The history of what it showed stays."
    )


class DetailsScreen(Screen[Credential | None]):
    """Dismissed with the card once it is removed (the cards screen says so), else popped."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to the cards"),
        Binding("x", "remove", "Remove", id="remove", tooltip="Remove this card from the wallet"),
        Binding("question_mark", "app.help", "Help", id="details-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet, credential: Credential) -> None:
        super().__init__()
        self.wallet = wallet
        self.credential = credential

    def compose(self) -> ComposeResult:
        credential, now = self.credential, self.wallet.clock()
        with VerticalScroll(classes="details"):
            with Horizontal(classes="card-top"):
                yield Label(plain(credential.title), classes="title")
                yield StatusBadge(credential.status(now))
            rows = [("Issuer", credential.issuer_name or credential.issuer)]
            if credential.issuer_name:
                rows.append(("", credential.issuer))
            expires = f" · expires {day(credential.expires_at)}" if credential.expires_at else ""
            rows.append(("Issued", when(credential.issued_at) + expires))
            copies = len(credential.copies)
            rows.append(("Copies", f"{copies}, each with its own key · id {credential.id}"))
            if credential.checked_at:
                rows.append(("Checked", f"{when(credential.checked_at)} on the ledger"))
            status = credential.status(now)
            if status in WHAT_NOW:
                rows.append(("Status", WHAT_NOW[status]))
            yield Static(facts(rows, key_width=8), classes="facts")
            yield ClaimRows(credential)
        yield KeysFooter()

    def action_remove(self) -> None:
        credential = self.credential
        self.app.push_screen(
            ConfirmModal(
                removal_question(credential),
                removal_warning(credential, self.wallet.clock()),
                "Remove",
            ),
            self.confirmed,
        )

    def confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        try:
            removed = self.wallet.remove(self.credential.id)
        except Error as exc:
            self.app.push_screen(ErrorModal(exc, "The card was not removed"))
            return
        self.dismiss(removed)
