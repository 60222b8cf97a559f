"""Present: paste a desk's request link; see the desk, its accreditation and purpose from
the ledger; each requested claim marked required / optional / not allowed; untick what is
optional; confirm; see the decision."""

from __future__ import annotations

import time
from functools import partial
from typing import ClassVar

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Static,
)

from civicid.errors import Error
from wallet.holder.presentation import REQUIRED, Option, Outcome, Plan, QueryPlan, refusal
from wallet.holder.wallet import Wallet
from wallet.screens.error import ConfirmModal, ErrorModal
from wallet.widgets.claims import ChoiceRow, ordered
from wallet.widgets.footer import KeysFooter
from wallet.widgets.form import Form
from wallet.widgets.inert import WARNING_STYLE, Fact, facts, lines, plain
from wallet.widgets.words import claim_words, decision_words, heading_words, when

OVERRIDE_WARNING = (
    "The public ledger does not allow this desk to ask for the claims marked NOT ALLOWED. "
    "Sending them anyway gives the desk information no law or accreditation lets it have. "
    "Only do this if you know why it needs them."
)


def desk_text(plan: Plan, option: Option) -> Table:
    """Who asks, why, and what the ledger says of it: read before anything is sent."""
    rows: list[Fact] = [("Desk", plan.verifier_name or plan.verifier)]
    if plan.verifier_name:  # its name as governance endorsed it; its DID still shown
        rows.append(("", plan.verifier))
    rows.append(("Why", plan.purpose))
    if option.accreditation:
        partly = " for part of this" if option.refusal else ""
        said = f"✔ accredited{partly} ({option.accreditation}): {option.accreditation_purpose}"
        under = f", under {option.legal_basis}" if option.legal_basis else ""
        rows.append(("Ledger", said + under))
    else:
        refusal = option.refusal or ""
        said = f"✘ NOT accredited to ask for this credential [{refusal}]"
        rows.append(("Ledger", said, WARNING_STYLE))
    if option.refusal:
        said = "✘ It asks for claims the ledger does not allow it: NOT ALLOWED below."
        rows.append(("", said, WARNING_STYLE))
    return facts(rows, key_width=6)


def not_asked(option: Option) -> list[str]:
    """The card's claims the desk does not ask for, none of them sent (in clear ones aside:
    said apart), as the card names them: what answering leaves out, in words."""
    asked = {c.name.split(".")[0] for c in option.claims}
    names = ordered(option.credential, (), list(option.credential.claims))  # as the card
    left = [name for name in names if name not in asked and name not in option.always_shared]
    return [heading_words(name, option.credential.labels) for name in left]


def not_asked_words(option: Option) -> Content:
    left = not_asked(option)
    return plain("Not sent (the desk does not ask): ", ", ".join(left)) if left else plain("")


class QueryPane(Vertical):
    """One requested credential: which card answers it, and its claims as choices."""

    def __init__(self, plan: Plan, query: QueryPlan) -> None:
        super().__init__(classes="query")
        self.plan = plan
        self.query_plan = query
        self.option = query.options[0]

    def compose(self) -> ComposeResult:
        yield Static(desk_text(self.plan, self.option), classes="panel desk")
        if len(self.query_plan.options) > 1:
            # Two cards of one type differ by when they were issued (a card issued again
            # beside the first), not by title; the id as the cards screen shows it.
            yield Select(
                [
                    (
                        plain(
                            o.credential.title,
                            f", issued {when(o.credential.issued_at)} ({o.credential.id})",
                        ),
                        o.credential.id,
                    )
                    for o in self.query_plan.options
                ],
                value=self.option.credential.id,
                allow_blank=False,
                id="which",
            )
        else:
            yield Label(
                plain(
                    "From your ",
                    self.option.credential.title,
                    f" ({self.option.credential.id}):",
                ),
                classes="section",
            )
        yield Vertical(*(ChoiceRow(c) for c in self.option.claims), classes="choices")
        if any(c.requirement != REQUIRED and c.allowed for c in self.option.claims):
            yield Label(
                "Tab to a claim, Space to keep it back or send it.", classes="meta choice-hint"
            )
        yield Label(not_asked_words(self.option), classes="meta not-asked")
        if self.option.always_shared:
            yield Label(
                plain(
                    "Also visible to the desk (in clear on this card): ",
                    ", ".join(
                        claim_words(n, self.option.credential.labels)
                        for n in self.option.always_shared
                    ),
                ),
                classes="meta mark-warn",
            )

    def on_select_changed(self, event: Select.Changed) -> None:
        chosen = next(o for o in self.query_plan.options if o.credential.id == event.value)
        if chosen is self.option:
            return
        self.option = chosen
        choices = self.query_one(".choices", Vertical)
        choices.remove_children()
        choices.mount_all([ChoiceRow(c) for c in chosen.claims])
        self.query_one(".not-asked", Label).update(not_asked_words(chosen))

    @property
    def rows(self) -> list[ChoiceRow]:
        return list(self.query(ChoiceRow))


class PresentScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="present-back",
            tooltip="Back: send nothing (a desk whose request is shown is told so)",
        ),
        Binding("question_mark", "app.help", "Help", id="present-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet, link: str = "") -> None:
        super().__init__()
        self.wallet = wallet
        self.answered_at: float | None = None  # wallet.screens.task
        self.link = link
        self.plan: Plan | None = None
        self.asked = ""  # the link being checked
        self.shown = ""  # the link whose request is shown (``plan``)
        self.sending = False  # its answer (or its decline) on the way

    def fresh(self) -> PresentScreen:
        return PresentScreen(self.wallet)

    def compose(self) -> ComposeResult:
        with Form(classes="form", id="present-pane"):
            yield Label("Answer a desk's request", classes="title")
            yield Input(
                self.link, placeholder="Paste the request link, then Enter", compact=True, id="link"
            )
            yield Vertical(id="plan")
            with Horizontal(classes="buttons", id="actions"):
                yield Button("Send", variant="primary", id="send")
                yield Button("Override…", variant="error", id="override")
                yield Button("Decline", id="decline", tooltip="Send nothing; tell the desk")
            yield LoadingIndicator(id="busy")
            yield Label("", id="progress", classes="meta")
            yield Static("", id="decision", classes="panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        for selector in ("#busy", "#actions", "#decision"):
            self.query_one(selector).display = False
        self.query_one("#link", Input).focus()
        if self.link:
            self.start_prepare(self.link)

    def busy(self, text: str) -> None:
        self.query_one("#busy").display = bool(text)
        self.query_one("#progress", Label).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        link = event.value.strip()
        if link and link == self.shown:
            # Its request is shown: a desk serves a request once, so asking for it again
            # would be refused (request_already_fetched) over the request in front of you.
            if self.query_one("#actions").display:
                self.query_one("#send", Button).focus()
            return
        if link:
            self.start_prepare(link)

    def start_prepare(self, link: str) -> None:
        self.asked = link
        self.busy("Checking the request, the desk and its accreditation on the ledger…")
        self.prepare(link)

    @work(thread=True, exclusive=True, group="network")
    def prepare(self, link: str) -> None:
        try:
            plan = self.wallet.prepare(link)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc, link_refused=True)
            return
        self.app.call_from_thread(self.show_plan, plan)

    def show_plan(self, plan: Plan) -> None:
        self.plan = plan
        self.shown = self.asked
        self.busy("")
        pane = self.query_one("#plan", Vertical)
        pane.remove_children()
        pane.mount_all([QueryPane(plan, q) for q in plan.queries])
        self.query_one("#actions").display = True
        self.query_one("#override").display = any(
            not c.allowed for q in plan.queries for o in q.options for c in o.claims
        )
        self.query_one("#decision").display = False
        send = self.query_one("#send", Button)
        send.disabled = False  # kept disabled after an answer to the link before
        self.query_one("#decline", Button).disabled = False
        self.sending = False
        send.focus()

    def action_back(self) -> None:
        """Back, sending nothing. A request shown and not answered is declined on the way
        (its desk is told, as Decline tells it): the desk serves a request once, so nobody
        can come back to it, and its page would otherwise wait until the request expires."""
        plan = self.plan
        if plan is not None and self.query_one("#actions").display and not self.sending:
            wallet = self.wallet
            self.app.run_worker(
                partial(wallet.decline, plan), thread=True, group="decline", exit_on_error=False
            )
        self.app.pop_screen()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "override":
            self.app.push_screen(
                ConfirmModal(
                    "Send claims the desk may not ask for?", OVERRIDE_WARNING, "Let me tick them"
                ),
                self.overridden,
            )
        elif event.button.id == "send" and self.plan is not None:
            self.start_send(self.plan)
        elif event.button.id == "decline" and self.plan is not None:
            self.sending = True
            self.query_one("#send", Button).disabled = True
            event.button.disabled = True
            self.busy("Telling the desk that nothing will be sent…")
            self.decline(self.plan)

    def overridden(self, yes: bool | None) -> None:
        if not yes:
            return
        unlocked = [
            row for pane in self.query(QueryPane) for row in pane.rows if not row.choice.allowed
        ]
        for row in unlocked:
            row.unlock_override()
        if unlocked:
            unlocked[0].query_one(Checkbox).focus()

    def start_send(self, plan: Plan) -> None:
        omit: list[str] = []
        unsafe: list[str] = []
        choose: dict[str, str] = {}
        for pane in self.query(QueryPane):
            choose[pane.query_plan.query.id] = pane.option.credential.id
            for row in pane.rows:
                name = row.choice.name
                if row.choice.allowed and not row.ticked and row.choice.requirement != "required":
                    omit.append(name)
                elif not row.choice.allowed and row.ticked:
                    unsafe.append(name)
                elif not row.choice.allowed and row.choice.requirement != "required":
                    omit.append(name)
        self.sending = True
        self.query_one("#send", Button).disabled = True
        self.busy("Sending, then checking the desk's signed receipt…")
        self.send(plan, omit, choose, unsafe)

    @work(thread=True, exclusive=True, group="network")
    def send(self, plan: Plan, omit: list[str], choose: dict[str, str], unsafe: list[str]) -> None:
        try:
            outcome = self.wallet.present(
                plan, omit=omit, choose=choose, unsafe_send_unaccredited=unsafe
            )
        except Error as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(self.sent, outcome)

    @work(thread=True, exclusive=True, group="network")
    def decline(self, plan: Plan) -> None:
        told = self.wallet.decline(plan)
        self.app.call_from_thread(self.declined, told)

    def declined(self, told: bool) -> None:
        """Nothing was sent: said in the decision's place, with whether the desk knows, and
        beside each claim."""
        for row in self.query(ChoiceRow):
            row.declined()
        self.answered(
            lines(
                plain(("Declined: nothing was shared", "bold")),
                plain(
                    "The desk was told that nothing will come."
                    if told
                    else "The desk could not be told: its screen waits until the request expires."
                ),
                plain("Escape: back."),
            ),
            good=False,
        )

    def sent(self, outcome: Outcome) -> None:
        decision = outcome.receipt.decision if outcome.receipt else None
        mark = {"eligible": "✔ ", "not_eligible": "✘ "}.get(decision or "", "")
        labels: dict[str, str] = {}
        for pane in self.query(QueryPane):
            labels.update(pane.option.credential.labels)

        def words(names: tuple[str, ...]) -> str:
            return ", ".join(claim_words(n, labels) for n in names)

        rows = [
            plain((mark + decision_words(decision), "bold")),
            plain("Shared: ", words(outcome.entry.disclosed) or "nothing"),
        ]
        why = refusal(outcome.receipt)
        if why:
            rows.append(plain("Why: ", why))
        if outcome.entry.withheld:
            rows.append(plain("Kept back: ", words(outcome.entry.withheld)))
        rows.append(plain("The desk's signed receipt is in your history (h). Escape: back."))
        self.answered(lines(*rows), good=decision == "eligible")

    def answered(self, said: Content, *, good: bool) -> None:
        """The request answered (sent, or declined): the choices and buttons put away, and
        what came of it in the decision's panel."""
        self.answered_at = time.monotonic()
        self.busy("")
        for box in self.query(Checkbox):
            box.disabled = True
        self.query_one("#actions").display = False
        panel = self.query_one("#decision", Static)
        panel.update(said)
        panel.display = True
        panel.set_class(good, "good")
        for hint in self.query(".choice-hint"):
            hint.display = False
        panel.scroll_visible(animate=False)

    def failed(self, error: Error, link_refused: bool = False) -> None:
        self.busy("")
        if link_refused:
            # The one pasted or typed next replaces it, not follows it.
            self.query_one("#link", Input).select_all()
        self.sending = False
        self.query_one("#send", Button).disabled = False
        self.app.push_screen(ErrorModal(error))
