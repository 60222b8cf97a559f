"""Receive: paste an offer link, see which accredited agency offers what, type the
transaction code, watch it arrive, see the new card."""

from __future__ import annotations

import time
from typing import ClassVar, Final

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, OptionList, Static

from civicid.console import inert
from civicid.errors import Error
from civicid.oid4vci import TxCode
from wallet.holder.credentials import Credential
from wallet.holder.issuance import OfferReview
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.widgets.card import CredentialCard
from wallet.widgets.footer import KeysFooter
from wallet.widgets.form import Form
from wallet.widgets.inert import facts, plain

# The longest transaction code a token request carries (civicid.oid4vci.TokenRequest).
TX_CODE_MAX: Final = 64
DIGITS: Final = r"[0-9]*"


def review_text(review: OfferReview) -> Group:
    """Who offers what, what the ledger says of it, and what arrives: read before a code."""
    types = ", ".join(offered.type_name or offered.vct for offered in review.offered)
    head = Text(inert(f"{review.issuer_name or 'An agency'} offers you: {types}"), style="bold")
    rows = [("Agency", review.issuer_did), ("Address", review.issuer_url)]
    for offered in review.offered:
        name = offered.type_name or offered.vct
        rows.append(("Ledger", f"✔ accredited to issue {name} ({offered.accreditation or ''})"))
    rows.append(("Copies", f"{review.copies}, each with its own key, so desks cannot link them"))
    return Group(head, facts(rows, key_width=8))


def typed_words(tx_code: TxCode, typed: str) -> str:
    """Why a typed code is not sent yet."""
    if not typed:
        return "Type the code first."
    return f"The code has {tx_code.length} characters; you typed {len(typed)}. Nothing was sent."


def code_hint(tx_code: TxCode) -> str:
    """What to type (OpenID4VCI §4.1.1: ``input_mode`` numeric unless said, ``length``)."""
    what = "digits" if tx_code.input_mode in (None, "numeric") else "characters"
    size = f"{tx_code.length} {what}" if tx_code.length else what
    return f"{tx_code.description or 'The code the agency sent you separately'} ({size})"


class ReceiveScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="receive-back", tooltip="Cancel"),
        Binding("question_mark", "app.help", "Help", id="receive-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet, link: str = "") -> None:
        super().__init__()
        self.wallet = wallet
        self.answered_at: float | None = None  # wallet.screens.task
        self.link = link
        self.review: OfferReview | None = None

    def fresh(self) -> ReceiveScreen:
        return ReceiveScreen(self.wallet)

    def compose(self) -> ComposeResult:
        with Form(classes="form"):
            yield Label("Receive a credential", classes="title")
            yield Input(
                self.link, placeholder="Paste the offer link, then Enter", compact=True, id="link"
            )
            yield Static(
                "The wallet checks the issuer on the ledger before asking you anything.",
                id="review",
                classes="panel",
            )
            yield Label("", id="tx-label", classes="field-label")
            yield Input(placeholder="Transaction code", password=True, compact=True, id="tx-code")
            with Horizontal(classes="buttons"):
                yield Button("Accept", variant="primary", id="accept", disabled=True)
            yield LoadingIndicator(id="busy")
            yield Label("", id="progress", classes="meta")
            yield OptionList(id="received")
        yield KeysFooter()

    def on_mount(self) -> None:
        for selector in ("#busy", "#tx-label", "#tx-code", "#received"):
            self.query_one(selector).display = False
        self.query_one("#link", Input).focus()
        if self.link:
            self.start_review(self.link)

    def busy(self, text: str) -> None:
        self.query_one("#busy").display = bool(text)
        self.query_one("#progress", Label).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "link" and event.value.strip():
            self.start_review(event.value.strip())
        elif event.input.id == "tx-code" and self.review is not None:
            self.start_accept()

    def start_review(self, link: str) -> None:
        self.review = None
        self.query_one("#accept", Button).disabled = True
        self.busy("Checking the offer and the issuer on the ledger…")
        self.check(link)

    @work(thread=True, exclusive=True, group="network")
    def check(self, link: str) -> None:
        try:
            review = self.wallet.review_offer(link)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(self.reviewed, review)

    def reviewed(self, review: OfferReview) -> None:
        self.review = review
        self.busy("")
        self.query_one("#review", Static).update(review_text(review))
        accept = self.query_one("#accept", Button)
        accept.disabled = False
        code = self.query_one("#tx-code", Input)
        if review.tx_code is not None:
            code.display = True
            code.placeholder = "Transaction code"
            code.value = ""
            # Only what the code can be: a wrong length or a letter would spend one of the
            # few attempts the agency allows, for a typing slip.
            code.max_length = review.tx_code.length or TX_CODE_MAX
            code.restrict = DIGITS if review.tx_code.input_mode in (None, "numeric") else None
            label = self.query_one("#tx-label", Label)
            label.update(plain(code_hint(review.tx_code)))
            label.display = True
            code.focus()
        else:
            accept.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "accept" and self.review is not None:
            self.start_accept()

    def start_accept(self) -> None:
        assert self.review is not None
        code = self.query_one("#tx-code", Input)
        wanted = self.review.tx_code
        short = wanted is not None and wanted.length and len(code.value) != wanted.length
        if wanted is not None and (not code.value or short):
            self.busy("")
            self.query_one("#progress", Label).update(typed_words(wanted, code.value))
            code.focus()
            return
        self.query_one("#accept", Button).disabled = True
        self.busy("Receiving: token, proofs for each copy, verifying every copy…")
        self.accept(self.review, code.value or None)

    @work(thread=True, exclusive=True, group="network")
    def accept(self, review: OfferReview, tx_code: str | None) -> None:
        try:
            records = self.wallet.accept_offer(review, tx_code)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(self.received, records)

    def received(self, records: list[Credential]) -> None:
        self.answered_at = time.monotonic()
        self.busy("")
        self.query_one("#progress", Label).update(
            "Received and verified. Escape: back to your cards."
        )
        view = self.query_one("#received", OptionList)
        view.display = True
        view.add_options([CredentialCard(r, self.wallet.clock(), {}) for r in records])
        for selector in ("#tx-label", "#tx-code", "#accept"):
            self.query_one(selector).display = False
        view.focus()

    def failed(self, error: Error) -> None:
        self.busy("")
        if self.review is not None:
            self.query_one("#accept", Button).disabled = False
        code = self.query_one("#tx-code", Input)
        if code.display:
            code.value = ""  # typed again whole, not after the wrong one
            code.focus()
        elif self.review is None:
            # The link was refused: the one pasted or typed next replaces it, not follows it.
            self.query_one("#link", Input).select_all()
        self.app.push_screen(ErrorModal(error))
