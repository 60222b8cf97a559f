"""Ask an agency for what its public rule issues: type its address and the rule's name, and
either the credential arrives at once, or the wallet says which condition was not met, in
people words, with the code beside it."""

from __future__ import annotations

import time
from typing import ClassVar, Final

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, OptionList, Static

from civicid.eligibility.decision import plain as plain_reason
from civicid.errors import CATALOGUE, Error
from wallet.holder.by_rule import Applied
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.widgets.card import CredentialCard
from wallet.widgets.footer import KeysFooter
from wallet.widgets.form import Form

# A URL fits in a line a person can check; longer is a mistake or a trick.
URL_MAX: Final = 2048
# Rule names are short words on the ledger (civicid.policy.NAME_PATTERN): what can be typed.
RULE_MAX: Final = 63
RULE_CHARACTERS: Final = r"[a-z0-9-]*"
NOT_ISSUED: Final = "not_issued"  # an agency's refusal that names no code of its own


def refusal(applied: Applied) -> Error:
    """The agency's refusal as an error the wallet's tables explain: its code (declared here
    where the kernel declares it) and, as its message, the failed condition in people words,
    else the code's own plain words, else what the agency said."""
    what = applied.condition or plain_reason(applied.code) or applied.reason or "Not issued."
    declared = CATALOGUE.get(applied.code or "")
    if declared is not None:
        return declared(what)
    return Error(applied.code or NOT_ISSUED, what)  # a peer's code, shown as a name


def refusal_title(applied: Applied) -> str:
    return f"Not issued by rule {applied.rule} v{applied.version}"


class ApplyScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="apply-back", tooltip="Cancel"),
        Binding("question_mark", "app.help", "Help", id="apply-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet) -> None:
        super().__init__()
        self.wallet = wallet
        self.answered_at: float | None = None  # wallet.screens.task

    def fresh(self) -> ApplyScreen:
        return ApplyScreen(self.wallet)

    def compose(self) -> ComposeResult:
        with Form(classes="form"):
            yield Label("Ask by a public rule", classes="title")
            yield Static(
                "An agency issues some credentials at once, by a rule it published on the "
                "ledger: the wallet checks the rule there, shows the agency only what the rule "
                "asks for, and tells you which condition was not met if it says no.",
                classes="panel",
            )
            yield Input(
                placeholder="The agency's address (https://…)",
                max_length=URL_MAX,
                compact=True,
                id="issuer",
            )
            yield Input(
                placeholder="The rule's name (e.g. senior-transit)",
                max_length=RULE_MAX,
                restrict=RULE_CHARACTERS,
                compact=True,
                id="rule",
            )
            with Horizontal(classes="buttons"):
                yield Button("Ask", variant="primary", id="ask")
            yield LoadingIndicator(id="busy")
            yield Label("", id="progress", classes="meta")
            yield OptionList(id="received")
        yield KeysFooter()

    def on_mount(self) -> None:
        for selector in ("#busy", "#received"):
            self.query_one(selector).display = False
        self.query_one("#issuer", Input).focus()

    def busy(self, text: str) -> None:
        self.query_one("#busy").display = bool(text)
        self.query_one("#progress", Label).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "issuer":
            self.query_one("#rule", Input).focus()
        else:
            self.start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ask":
            self.start()

    def start(self) -> None:
        issuer = self.query_one("#issuer", Input).value.strip()
        rule = self.query_one("#rule", Input).value.strip()
        if not issuer or not rule:
            self.busy("")
            self.query_one("#progress", Label).update("Type the agency's address and the rule.")
            return
        self.query_one("#ask", Button).disabled = True
        self.answered_at = None
        self.busy("Checking the rule on the ledger, presenting what it asks for…")
        self.ask(issuer, rule)

    @work(thread=True, exclusive=True, group="network")
    def ask(self, issuer: str, rule: str) -> None:
        try:
            applied = self.wallet.apply(issuer, rule)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc, "That did not work")
            return
        self.app.call_from_thread(self.answered, applied)

    def answered(self, applied: Applied) -> None:
        if not applied.issued:
            # The agency's answer: once the wallet locks over it, unlocking shows this task
            # fresh (wallet.screens.task), not the refusal as if it had just come.
            self.answered_at = time.monotonic()
            self.failed(refusal(applied), refusal_title(applied))
            return
        self.answered_at = time.monotonic()
        self.busy("")
        self.query_one("#progress", Label).update(
            f"Issued by rule {applied.rule} v{applied.version}, verified. Escape: your cards."
        )
        view = self.query_one("#received", OptionList)
        view.display = True
        now = self.wallet.clock()
        view.add_options([CredentialCard(c, now, {}) for c in applied.issued])
        self.query_one("#ask", Button).display = False
        view.focus()

    def failed(self, error: Error, title: str) -> None:
        self.busy("")
        self.query_one("#ask", Button).disabled = False
        self.app.push_screen(ErrorModal(error, title))
