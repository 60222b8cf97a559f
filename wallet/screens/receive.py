"""Receive: paste an offer link, see which accredited agency offers what, type the
transaction code, watch it arrive, see the new card."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, OptionList, Static

from civicid.console import inert
from civicid.errors import Error
from wallet.holder.credentials import Credential
from wallet.holder.issuance import OfferReview
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.widgets.card import CredentialCard
from wallet.widgets.footer import KeysFooter
from wallet.widgets.inert import lines, plain


def review_text(review: OfferReview) -> Content:
    rows = [plain(review.issuer_name or "An issuer", " offers you:")]
    for offered in review.offered:
        rows.append(plain("  • ", offered.type_name or offered.vct))
    rows.append(plain(""))
    rows.append(plain("Issuer ", review.issuer_did))
    rows.append(plain("  at ", review.issuer_url))
    for offered in review.offered:
        accreditation = offered.accreditation or ""
        rows.append(plain("  ✔ accredited on the ledger for this credential (", accreditation, ")"))
    rows.append(plain(f"You will receive {review.copies} copies, each with its own key."))
    return lines(*rows)


class ReceiveScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="receive-back", tooltip="Cancel"),
        Binding("question_mark", "app.help", "Help", id="receive-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet, link: str = "") -> None:
        super().__init__()
        self.wallet = wallet
        self.link = link
        self.review: OfferReview | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Label("Receive a credential", classes="title")
            yield Input(
                self.link, placeholder="Paste the offer link, then Enter", compact=True, id="link"
            )
            yield Static(
                "The wallet checks the issuer on the ledger before asking you anything.",
                id="review",
                classes="panel",
            )
            yield Input(placeholder="Transaction code", password=True, compact=True, id="tx-code")
            with Horizontal(classes="buttons"):
                yield Button("Accept", variant="primary", id="accept", disabled=True)
            yield LoadingIndicator(id="busy")
            yield Label("", id="progress", classes="meta")
            yield OptionList(id="received")
        yield KeysFooter()

    def on_mount(self) -> None:
        for selector in ("#busy", "#tx-code", "#received"):
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
            hint = review.tx_code.description or "sent to you separately"
            code.placeholder = f"Transaction code ({inert(hint)})"
            code.focus()
        else:
            accept.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "accept" and self.review is not None:
            self.start_accept()

    def start_accept(self) -> None:
        assert self.review is not None
        self.query_one("#accept", Button).disabled = True
        self.busy("Receiving: token, proofs for each copy, verifying every copy…")
        self.accept(self.review, self.query_one("#tx-code", Input).value or None)

    @work(thread=True, exclusive=True, group="network")
    def accept(self, review: OfferReview, tx_code: str | None) -> None:
        try:
            records = self.wallet.accept_offer(review, tx_code)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(self.received, records)

    def received(self, records: list[Credential]) -> None:
        self.busy("")
        self.query_one("#progress", Label).update(
            "Received and verified. Escape: back to your cards."
        )
        view = self.query_one("#received", OptionList)
        view.display = True
        view.add_options([CredentialCard(r, self.wallet.clock(), {}) for r in records])
        for selector in ("#tx-code", "#accept"):
            self.query_one(selector).display = False
        view.focus()

    def failed(self, error: Error) -> None:
        self.busy("")
        if self.review is not None:
            self.query_one("#accept", Button).disabled = False
        self.app.push_screen(ErrorModal(error))
