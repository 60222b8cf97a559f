"""Errors in a modal that says what happened and what to do, and a confirmation modal."""

from __future__ import annotations

import time
from typing import ClassVar, Final, Protocol, runtime_checkable

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from civicid.accreditation import ISSUER_NOT_ACCREDITED
from civicid.eligibility.errors import CLAIM_MISSING
from civicid.errors import CATALOGUE, Code, Error
from civicid.http import HTTP_DEADLINE, HTTP_UNREACHABLE
from civicid.issuance_rules import ISSUANCE_RULE_NOT_FOUND, ISSUANCE_RULE_WITHDRAWN
from civicid.ledger_client import LEDGER_FAILED, LEDGER_REFUSED
from civicid.oid4vci import OFFER_INVALID
from civicid.oid4vp import (
    OID4VP_LINK_INVALID,
    OID4VP_REQUEST_EXPIRED,
    OID4VP_REQUEST_SIGNATURE_INVALID,
)
from civicid.policy import PREDICATE_FAILED
from civicid.sdjwt_format import SDJWT_SIGNATURE_INVALID
from wallet.errors import (
    WALLET_AUTHORIZATION_SERVER_UNLISTED,
    WALLET_BACKUP_INVALID,
    WALLET_BACKUP_PASSPHRASE_WRONG,
    WALLET_CHECKPOINT_PUT_BACK,
    WALLET_CLAIM_NOT_ALLOWED,
    WALLET_CNF_MISMATCH,
    WALLET_CREDENTIAL_EXPIRED,
    WALLET_CREDENTIAL_REVOKED,
    WALLET_CREDENTIAL_SUSPENDED,
    WALLET_ENDPOINT_UNBOUND,
    WALLET_IN_USE,
    WALLET_ISSUER_UNBOUND,
    WALLET_LEDGER_UNCONFIGURED,
    WALLET_NO_MATCH,
    WALLET_PASSPHRASE_WRONG,
    WALLET_RULE_MISMATCH,
    WALLET_SETTINGS_INVALID,
    WALLET_STORE_CORRUPT,
    WALLET_STORE_PUT_BACK,
    WALLET_TX_CODE_MALFORMED,
    WALLET_TX_CODE_REQUIRED,
    WALLET_URI_INVALID,
)
from wallet.widgets.inert import plain

NOTHING_CHANGED: Final = "Nothing was sent or stored."
RULE_PUBLIC: Final = (
    "The agency's rule is public on the ledger, and it issues by it to whoever meets all its "
    "conditions, with no clerk deciding. If you think your card is wrong, ask the agency that "
    "issued it. "
)
PHISHING: Final = (
    "Do not type any code: this link may not come from the agency it names. Contact the "
    "agency through its official website. " + NOTHING_CHANGED
)
WHOLE_LINK: Final = (
    "Copy the whole link again (an agency's offer starts with openid-credential-offer://, a "
    "desk's request with openid4vp://): it may have been cut. " + NOTHING_CHANGED
)
# What to do, per error: keyed by the declared codes themselves, never by their names.
ADVICE: Final[dict[Code, str]] = {
    WALLET_PASSPHRASE_WRONG: "Check the passphrase (is Caps Lock on?) and try again.",
    WALLET_STORE_CORRUPT: "Your wallet file was left as it is. Move it aside, then restore "
    "your last backup: civicid wallet restore BACKUP.",
    WALLET_STORE_PUT_BACK: "Nothing was lost: the wallet holds everything it held before. "
    "Something outside it changed its file: check the disk, then make a backup (s).",
    WALLET_CHECKPOINT_PUT_BACK: "Nothing was lost: the wallet still trusts the ledger's "
    "checkpoint it trusted before, and refuses a ledger rolled back behind it. Something "
    "outside the wallet changed that file: check the disk.",
    WALLET_IN_USE: "Close the wallet in the other window or terminal first.",
    HTTP_UNREACHABLE: "Check your connection, and that the address is right. " + NOTHING_CHANGED,
    LEDGER_REFUSED: "The ledger (or a mirror of it) refused to answer, so nothing it said was "
    "used and nothing was sent. Try again in a few minutes; if it goes on, tell the ledger's "
    "operator, with the code.",
    LEDGER_FAILED: "The ledger (or a mirror of it) failed to answer, so nothing was used and "
    "nothing was sent. Try again in a few minutes.",
    HTTP_DEADLINE: "The service did not answer in time. Try again later. " + NOTHING_CHANGED,
    ISSUER_NOT_ACCREDITED: "The ledger does not list this issuer for this credential. " + PHISHING,
    WALLET_ISSUER_UNBOUND: PHISHING,
    WALLET_AUTHORIZATION_SERVER_UNLISTED: PHISHING,
    WALLET_ENDPOINT_UNBOUND: PHISHING,
    OFFER_INVALID: WHOLE_LINK,
    OID4VP_LINK_INVALID: WHOLE_LINK,
    WALLET_URI_INVALID: WHOLE_LINK,
    OID4VP_REQUEST_EXPIRED: "The desk's code is no longer valid: ask the desk for a new one. "
    + NOTHING_CHANGED,
    OID4VP_REQUEST_SIGNATURE_INVALID: "The request is not signed by the desk it names. "
    "Do not send anything; tell the desk staff.",
    WALLET_NO_MATCH: "You hold no credential that answers this request.",
    WALLET_CREDENTIAL_REVOKED: "Every desk refuses a revoked card: ask the agency that issued "
    "it for a new one.",
    WALLET_CREDENTIAL_SUSPENDED: "Desks refuse a suspended card until the agency lifts the "
    "suspension: ask the agency why.",
    WALLET_CREDENTIAL_EXPIRED: "Desks refuse an expired card: ask the agency that issued it "
    "for a new one.",
    WALLET_CLAIM_NOT_ALLOWED: "The desk asks for something its accreditation does not cover. "
    "Leave it out, or ask the desk why it needs it.",
    WALLET_TX_CODE_REQUIRED: "Type the code the agency sent you (by letter, SMS or e-mail).",
    WALLET_TX_CODE_MALFORMED: "Type the code exactly as the agency gave it. Nothing was sent, "
    "so no attempt was used.",
    WALLET_LEDGER_UNCONFIGURED: "Type the ledger's checkpoint key in the settings (s): its "
    "operator publishes it.",
    WALLET_SETTINGS_INVALID: "Check the value named above, as typed or as written in the file "
    "named: a ledger's address is one word, such as https://ledger.example, and its key is "
    "copied whole as its operator publishes it. Nothing was saved.",
    WALLET_CNF_MISMATCH: "The issuer sent a credential not bound to your keys; it was "
    "refused. " + NOTHING_CHANGED,
    SDJWT_SIGNATURE_INVALID: "The credential's signature does not match the issuer's key "
    "on the ledger; it was refused. " + NOTHING_CHANGED,
    WALLET_BACKUP_PASSPHRASE_WRONG: "Use the passphrase the backup was made with.",
    WALLET_BACKUP_INVALID: "The backup file is damaged or altered: try another copy.",
    # An agency's answer to a request by its public rule (wallet.screens.apply).
    PREDICATE_FAILED: RULE_PUBLIC + "Only what the rule asks for was shared.",
    CLAIM_MISSING: "The rule needs that information and your card did not share it: it "
    "may not hold it. " + RULE_PUBLIC,
    WALLET_RULE_MISMATCH: "The agency asked for more, or other, than its rule on the ledger "
    "says. Nothing was sent; tell the agency.",
    ISSUANCE_RULE_WITHDRAWN: "The agency no longer issues by this rule. Ask the agency how to "
    "apply now. " + NOTHING_CHANGED,
    ISSUANCE_RULE_NOT_FOUND: "Check the rule's name and the agency's address: the ledger's "
    "transparency page (the ledger's address, then /transparency) lists every rule in force "
    "and the agency that publishes it. " + NOTHING_CHANGED,
}
# An agency's service answers in OAuth 2.0's words (RFC 6749 §5.2) or with its own codes
# (the issuer part's, which the wallet may not import): these arrive as names on the wire.
NEW_OFFER: Final = "Ask the agency for a new offer. " + NOTHING_CHANGED
PEER_ADVICE: Final[dict[str, str]] = {
    "invalid_grant": "The code was not accepted: check it, or ask the agency for a new offer.",
    "tx_code_wrong": "Check the code the agency gave you and type it again: after a few wrong "
    "codes the offer stops working.",
    "offer_locked": "Too many wrong codes: this offer no longer works. " + NEW_OFFER,
    "offer_expired": "This offer has expired. " + NEW_OFFER,
    "offer_already_fetched": "This offer link was already opened once. " + NEW_OFFER,
    "grant_code_used": "This offer was already used to receive a credential. " + NEW_OFFER,
    "grant_code_expired": "This offer has expired. " + NEW_OFFER,
    "rule_request_expired": "The agency's request expired before it was answered: ask again.",
    "rule_request_unknown": "The agency no longer knows this request: ask again.",
}


# A ledger's answer that failed its proofs (a checkpoint no quorum of witnesses cosigned, or
# too old; a proof or signature that does not verify): nothing it said was used. The areas of
# the kernel's codes for it (``civicid.eligibility.decision.LEDGER_PROOF_AREAS`` less the
# ledger's own set-up codes, which a wallet does not meet).
UNPROVEN_AREAS: Final = (
    "checkpoint_",
    "consistency_",
    "inclusion_",
    "merkle_",
    "map_",
    "note_",
    "resolution_",
    "signer_",
    "did_history_",
    "ledger_answer_",
    "ledger_forked",
    "ledger_inconsistent",
)
UNPROVEN: Final = (
    "The ledger's answer could not be proven (its signature, its witnesses' cosignatures, or "
    "a proof), so nothing it said was used and nothing was sent. Try again in a few minutes; "
    "if it goes on, tell the ledger's operator, with the code."
)


def advice(error: Error) -> str:
    code = CATALOGUE.get(error.code)
    if code is not None and code in ADVICE:
        return ADVICE[code]
    if code is not None and error.code.startswith(UNPROVEN_AREAS):
        return UNPROVEN
    # A peer's code is a name on the wire, looked up as one (no code of ours to match).
    return PEER_ADVICE.get(error.code, "Nothing was changed. If it happens again, note the code.")


@runtime_checkable
class Holding(Protocol):
    """A screen that covers the wallet while it is locked (``wallet.screens.access``)."""

    def hold(self, modal: ErrorModal) -> bool:
        """Keep ``modal``'s message to show once unlocked; False: show it now."""
        ...


class ErrorModal(ModalScreen[None]):
    """What happened (the message and its code) and what to do about it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="error-close", tooltip="Close this message")
    ]

    def __init__(self, error: Error, title: str = "That did not work") -> None:
        super().__init__(classes="modal")
        self.error = error
        self.heading = title
        self.shown_at = time.monotonic()  # a lock after it makes it old news (wallet.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(self.heading, classes="dialog-title")
            yield Static(plain(self.error.message, f"  [{self.error.code}]"), classes="what")
            yield Static(advice(self.error), classes="todo")
            yield Button("OK", variant="primary", id="ok")

    def on_mount(self) -> None:
        # An answer that came while the wallet was locked (a worker finishing) is not shown
        # over the lock screen, to whoever stands at the screen: it waits for the unlock.
        stack = self.app.screen_stack
        beneath = stack[-2] if len(stack) > 1 else None
        if isinstance(beneath, Holding) and beneath.hold(self):
            self.dismiss(None)
            return
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; "no" is the default."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "no", "Cancel", id="confirm-cancel", tooltip="Answer no")
    ]

    def __init__(self, question: str | Content, warning: str | Content, yes: str = "Yes") -> None:
        """A ``str`` is the wallet's own words (read as markup); what holds an outside
        string (a card's title) comes as ``Content`` (``wallet.widgets.inert.plain``)."""
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
