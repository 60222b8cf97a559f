"""One credential: every claim, which can be withheld, where it came from, its copies."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from wallet.holder.credentials import Credential
from wallet.holder.wallet import Wallet
from wallet.widgets.card import WHAT_NOW, StatusBadge
from wallet.widgets.claims import ClaimRows
from wallet.widgets.footer import KeysFooter
from wallet.widgets.inert import facts, plain
from wallet.widgets.words import day, when


class DetailsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to the cards"),
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
