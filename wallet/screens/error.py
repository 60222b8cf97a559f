"""Errors in a modal that says what happened and what to do, and a confirmation modal."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from civicid.errors import Error
from wallet.widgets.inert import plain

NOTHING_CHANGED: Final = "Nothing was sent or stored."
ADVICE: Final[dict[str, str]] = {
    "wallet_passphrase_wrong": "Check the passphrase (is Caps Lock on?) and try again.",
    "wallet_store_corrupt": "Your wallet file was left as it is. Move it aside, then restore "
    "your last backup: civicid wallet restore BACKUP.",
    "wallet_in_use": "Close the wallet in the other window or terminal first.",
    "http_unreachable": "Check your connection, and that the address is right. " + NOTHING_CHANGED,
    "http_deadline": "The service did not answer in time. Try again later. " + NOTHING_CHANGED,
    "issuer_not_accredited": "The ledger does not list this issuer for this credential. Do "
    "not type any code; contact the agency through its official website.",
    "oid4vp_request_signature_invalid": "The request is not signed by the desk it names. "
    "Do not send anything; tell the desk staff.",
    "wallet_no_match": "You hold no credential that answers this request.",
    "wallet_claim_not_allowed": "The desk asks for something its accreditation does not cover. "
    "Leave it out, or ask the desk why it needs it.",
    "wallet_tx_code_required": "Type the code the agency sent you (by letter, SMS or e-mail).",
    "invalid_grant": "The code was not accepted: check it, or ask the agency for a new offer.",
    "wallet_cnf_mismatch": "The issuer sent a credential not bound to your keys; it was "
    "refused. " + NOTHING_CHANGED,
    "sdjwt_signature_invalid": "The credential's signature does not match the issuer's key "
    "on the ledger; it was refused. " + NOTHING_CHANGED,
    "wallet_backup_passphrase_wrong": "Use the passphrase the backup was made with.",
    "wallet_backup_invalid": "The backup file is damaged or altered: try another copy.",
}


def advice(error: Error) -> str:
    return ADVICE.get(error.code, "Nothing was changed. If it happens again, note the code.")


class ErrorModal(ModalScreen[None]):
    """What happened (the message and its code) and what to do about it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="error-close", tooltip="Close this message")
    ]

    def __init__(self, error: Error, title: str = "That did not work") -> None:
        super().__init__(classes="modal")
        self.error = error
        self.heading = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(self.heading, classes="dialog-title")
            yield Static(plain(self.error.message, f"  [{self.error.code}]"), classes="what")
            yield Static(advice(self.error), classes="todo")
            yield Button("OK", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; "no" is the default."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "no", "Cancel", id="confirm-cancel", tooltip="Answer no")
    ]

    def __init__(self, question: str, warning: str, yes: str = "Yes") -> None:
        super().__init__(classes="modal")
        self.question = question
        self.warning = warning
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog warn-dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Static(self.warning, classes="todo")
            with Horizontal(classes="buttons"):
                yield Button("No", variant="primary", id="no")
                yield Button(self.yes, variant="error", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)
