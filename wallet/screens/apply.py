"""Ask an agency for what its public rule issues: type its address and the rule's name, see
what the rule asks of which card (and a condition the card does not meet) before anything is
sent, and once agreed either the credential arrives at once, or the wallet says which
condition was not met, in people words, with the code beside it."""

from __future__ import annotations

import time
from functools import partial
from typing import ClassVar, Final

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, OptionList, Static

from civicid.eligibility.decision import plain as plain_reason
from civicid.errors import CATALOGUE, Error
from wallet.holder.by_rule import Applied, RulePlan
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.widgets.card import CredentialCard
from wallet.widgets.footer import KeysFooter
from wallet.widgets.form import Form
from wallet.widgets.inert import WARNING_STYLE, Fact, facts
from wallet.widgets.words import claim_words

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


def cancelled_words(told: bool) -> str:
    return "Nothing was sent. " + (
        "The agency was told you said no."
        if told
        else "The agency could not be told: its request waits until it expires."
    )


def plan_facts(plan: RulePlan) -> list[Fact]:
    """Who asks, by which rule, and what it would see of which card: read before sending."""
    did = plan.request.did
    rows: list[Fact] = [("Agency", plan.agency_name or did)]
    if plan.agency_name:
        rows.append(("", did))
    rows.append(("Rule", f"{plan.version.name} v{plan.version.version}, public on the ledger"))
    rows.append(("Why", plan.request.purpose))
    labels = plan.card.labels
    shared = ", ".join(claim_words(name, labels) for name in plan.asked)
    rows.append(("Shares", f"from your {plan.card.title} ({plan.card.id}): {shared}"))
    if plan.unmet:
        rows.append(
            ("", f"✘ Your card does not meet the rule ({plan.unmet}): the agency will say no.",
             WARNING_STYLE)
        )  # fmt: skip
    return rows


class ApplyScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="apply-back",
            tooltip="Back: send nothing (an agency whose request is shown is told so)",
        ),
        Binding("question_mark", "app.help", "Help", id="apply-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet) -> None:
        super().__init__()
        self.wallet = wallet
        self.answered_at: float | None = None  # wallet.screens.task
        self.plan: RulePlan | None = None  # the request checked and shown, not yet sent

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
                id="intro",
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
            with Horizontal(classes="buttons", id="asking"):
                yield Button("Ask", variant="primary", id="ask")
            yield Static("", id="plan", classes="panel")
            with Horizontal(classes="buttons", id="actions"):
                yield Button("Send", variant="primary", id="send")
                yield Button("Cancel", id="cancel", tooltip="Send nothing")
            yield LoadingIndicator(id="busy")
            yield Label("", id="progress", classes="meta")
            yield OptionList(id="received")
        yield KeysFooter()

    def on_mount(self) -> None:
        for selector in ("#busy", "#received", "#plan", "#actions"):
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
        elif event.button.id == "send" and self.plan is not None:
            self.query_one("#actions").display = False
            self.busy("Presenting what the rule asks for…")
            self.send(self.plan)
        elif event.button.id == "cancel" and self.plan is not None:
            plan = self.plan
            self.put_away()
            self.query_one("#ask", Button).disabled = True
            self.busy("Telling the agency that nothing will be sent…")
            self.cancel(plan)

    def action_back(self) -> None:
        """Back, sending nothing; a request shown and not answered is declined on the way."""
        self.drop_plan()
        self.app.pop_screen()

    def drop_plan(self) -> None:
        """The request shown, not answered, is told no in the background (OpenID4VP §8.5):
        its agency serves it once, and would wait for it until it expires otherwise."""
        plan = self.plan
        if plan is not None and self.query_one("#actions").display:
            self.app.run_worker(
                partial(self.wallet.decline, plan),
                thread=True,
                group="decline",
                exit_on_error=False,
            )

    def put_away(self) -> None:
        """The plan shown is gone: asking again checks the request afresh."""
        self.plan = None
        for selector in ("#plan", "#actions"):
            self.query_one(selector).display = False
        for selector in ("#intro", "#asking"):
            self.query_one(selector).display = True
        self.query_one("#ask", Button).disabled = False

    def start(self) -> None:
        issuer = self.query_one("#issuer", Input).value.strip()
        rule = self.query_one("#rule", Input).value.strip()
        if not issuer or not rule:
            self.busy("")
            self.query_one("#progress", Label).update("Type the agency's address and the rule.")
            return
        self.answered_at = None
        self.drop_plan()  # asked again over a request shown: that one is answered no
        self.put_away()
        self.query_one("#ask", Button).disabled = True
        self.busy("Checking the agency's request and its rule on the ledger…")
        self.ask(issuer, rule)

    @work(thread=True, exclusive=True, group="network")
    def ask(self, issuer: str, rule: str) -> None:
        try:
            plan = self.wallet.prepare_apply(issuer, rule)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc, "That did not work")
            return
        self.app.call_from_thread(self.show_plan, plan)

    def show_plan(self, plan: RulePlan) -> None:
        """What the rule asks of which card, nothing sent yet: Send or Cancel."""
        self.plan = plan
        self.busy("")
        panel = self.query_one("#plan", Static)
        panel.update(facts(plan_facts(plan), key_width=6))
        panel.display = True
        self.query_one("#actions").display = True
        # The plan in their place, its buttons in view at 80x24: Send and Cancel, or Enter
        # in a field to ask again.
        for selector in ("#intro", "#asking"):
            self.query_one(selector).display = False
        # A card that does not meet the rule: Send still shares it (the agency decides), but
        # is not where Enter lands.
        self.query_one("#cancel" if plan.unmet else "#send", Button).focus()

    @work(thread=True, exclusive=True, group="network")
    def cancel(self, plan: RulePlan) -> None:
        told = self.wallet.decline(plan)
        self.app.call_from_thread(self.cancelled, told)

    def cancelled(self, told: bool) -> None:
        """Nothing was sent: said, with whether the agency knows."""
        self.busy("")
        self.query_one("#progress", Label).update(cancelled_words(told))
        ask = self.query_one("#ask", Button)
        ask.disabled = False
        ask.focus()

    @work(thread=True, exclusive=True, group="network")
    def send(self, plan: RulePlan) -> None:
        try:
            applied = self.wallet.send_apply(plan)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc, "That did not work")
            return
        self.app.call_from_thread(self.answered, applied)

    def answered(self, applied: Applied) -> None:
        self.put_away()
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
