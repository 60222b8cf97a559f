"""The main screen: the credentials held, as cards; Enter opens one."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Label, OptionList, Static

from civicid.errors import Error
from wallet.holder.credentials import Credential
from wallet.holder.status import Refreshed
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.widgets.card import CredentialCard
from wallet.widgets.footer import KeysFooter
from wallet.widgets.inert import plain
from wallet.widgets.words import when


def refreshed_words(report: Refreshed) -> str:
    """What an update from the ledger found, in a sentence."""
    if not report.credentials:
        return "No credentials to check yet. Press r to receive one."
    changed = len(report.changed)
    said = {0: "none changed", 1: "1 card changed (see its badge)"}.get(
        changed, f"{changed} cards changed (see their badges)"
    )
    line = f"Statuses checked on the ledger: {said}."
    if report.failures:
        lists = (
            "1 status list" if len(report.failures) == 1 else f"{len(report.failures)} status lists"
        )
        line += f" {lists} could not be read: their cards keep the status last read."
    return line


def clock_words(now: int, newest: int) -> str:
    return (
        f"This computer's clock reads {when(now)}, before {when(newest)}, a time this wallet "
        "has already recorded: set the clock right. Until then the ledger's signatures look "
        "as if from the future, and no status can be checked."
    )


class CardsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "app.receive", "Receive", id="receive", tooltip="Receive a credential"),
        Binding("p", "app.present", "Present", id="present", tooltip="Answer a desk's request"),
        Binding("h", "app.history", "History", id="history", tooltip="Who saw what, when"),
        Binding(
            "a",
            "app.apply",
            "Ask by rule",
            id="apply",
            tooltip="Ask an agency for what its public rule issues",
        ),
        Binding("u", "refresh_status", "Update", id="update", tooltip="Statuses from the ledger"),
        Binding("s", "app.settings", "Settings", id="settings", tooltip="Ledger, backup"),
        Binding("l", "app.lock", "Lock", id="lock", tooltip="Lock the wallet now", show=False),
        Binding("question_mark", "app.help", "Help", id="help", tooltip="Keys and concepts"),
    ]

    def __init__(self, wallet: Wallet) -> None:
        super().__init__()
        self.wallet = wallet

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="cards-pane"):
            yield Label("Your credentials", classes="title")
            yield OptionList(id="cards")
            yield Static("No credentials yet. Press r to receive one from an agency.", id="empty")
            yield Label("", id="status-line", classes="meta")
            clock_line = Label("", id="clock-line", classes="meta mark-warn")
            clock_line.display = False  # shown only for a clock found behind
            yield clock_line
        yield KeysFooter()

    def on_screen_resume(self) -> None:
        """Shown first, or back from another screen: read the cards as they are now."""
        self.title = "CivicID wallet"
        self.reload()

    def reload(self) -> None:
        if self.wallet.locked:
            return
        try:
            held = self.wallet.credentials()
            shown = self.wallet.shown()
        except Error as exc:
            self.app.push_screen(ErrorModal(exc))
            return
        now = self.wallet.clock()
        self.tell_clock(now, held)
        cards = self.query_one("#cards", OptionList)
        highlighted = cards.highlighted
        cards.clear_options()
        options: list[CredentialCard | None] = []
        alike = Counter((c.title, c.issuer) for c in held)  # told apart by when issued
        for credential in held:
            dated = alike[credential.title, credential.issuer] > 1
            options += [CredentialCard(credential, now, shown, dated), None]  # None: a separator
        cards.add_options(options[:-1])
        cards.display = bool(held)
        self.query_one("#empty").display = not held
        if held:
            cards.highlighted = min(highlighted or 0, len(held) - 1)
            cards.focus()

    def tell_clock(self, now: int, held: list[Credential]) -> None:
        """A clock moved back since the wallet last recorded a time, said where the cards
        are: every status check fails on it, and nothing else would say why."""
        try:
            newest = self.wallet.clock_behind(held)
        except Error:
            newest = None  # the cards' own read says what is wrong
        line = self.query_one("#clock-line", Label)
        line.display = newest is not None
        if newest is not None:
            line.update(clock_words(now, newest))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if isinstance(event.option, CredentialCard):
            from wallet.screens.details import DetailsScreen

            self.app.push_screen(DetailsScreen(self.wallet, event.option.credential), self.removed)

    def removed(self, credential: Credential | None) -> None:
        """A card removed from its details: said where it was (reloaded on resume)."""
        if credential is not None:
            self.query_one("#status-line", Label).update(
                plain(
                    f"Removed your {credential.title} ({credential.id}). "
                    "The history of what it showed stays (h)."
                )
            )

    def action_refresh_status(self) -> None:
        self.query_one("#status-line", Label).update("Asking the ledger for statuses…")
        self.refresh_status()

    @work(thread=True, exclusive=True, group="network")
    def refresh_status(self) -> None:
        try:
            report = self.wallet.refresh()
        except Error as exc:
            self.app.call_from_thread(self.app.push_screen, ErrorModal(exc))
            return
        self.app.call_from_thread(self.refreshed, refreshed_words(report))

    def refreshed(self, line: str) -> None:
        self.query_one("#status-line", Label).update(line)
        self.reload()
