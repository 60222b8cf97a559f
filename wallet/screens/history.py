"""Every presentation: when, to which desk, which claims, the decision and its receipt."""

from __future__ import annotations

from typing import ClassVar, Final

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from civicid.errors import Error
from wallet.holder.history import Presentation
from wallet.holder.presentation import refusal
from wallet.holder.wallet import Wallet
from wallet.widgets.footer import KeysFooter
from wallet.widgets.inert import cell, facts
from wallet.widgets.words import claim_words, decision_words, when

# Columns fit 80 terminal columns: the claims shared are cut here, and read whole below.
# A wider terminal gives the desk's name room first (up to a name's usual length), then the
# claims shared.
SHARED_WIDTH: Final = 26
DESK_WIDTH: Final = 14
NARROW: Final = 80
DESK_WIDTH_MAX: Final = 40
DID_PREFIX: Final = "did:civicid:"


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def widths(columns: int) -> tuple[int, int]:
    """How much of the desk's name and of the claims shared a row shows on a terminal
    ``columns`` wide."""
    spare = max(0, columns - NARROW)
    desk = min(DESK_WIDTH + spare, DESK_WIDTH_MAX)
    return desk, SHARED_WIDTH + spare - (desk - DESK_WIDTH)


def desk_name(entry: Presentation) -> str:
    return entry.verifier_name or entry.verifier.removeprefix(DID_PREFIX)


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="history-back", tooltip="Back"),
        Binding("question_mark", "app.help", "Help", id="history-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet) -> None:
        super().__init__()
        self.wallet = wallet
        self.entries: list[Presentation] = []
        self.labels: dict[str, dict[str, str]] = {}  # credential id -> its claim labels

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Who saw what, and when", classes="title")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="receipt-box", classes="receipt"):
                yield Static("", id="receipt")
        yield KeysFooter()

    def words(self, entry: Presentation, names: tuple[str, ...] | list[str]) -> str:
        labels = self.labels.get(entry.credential_id)
        return ", ".join(claim_words(str(name), labels) for name in names)

    def on_mount(self) -> None:
        self.entries = list(reversed(self.wallet.history()))
        try:
            self.labels = {c.id: c.labels for c in self.wallet.credentials()}
        except Error:
            self.labels = {}  # the history is still worth showing with claim names
        table = self.query_one(DataTable)
        table.add_columns("When", "Desk", "Shared", "Decision")
        desk_width, shared_width = widths(self.app.size.width)
        for index, entry in enumerate(self.entries):
            table.add_row(
                cell(when(entry.at)),
                cell(short(desk_name(entry), desk_width)),
                cell(short(self.words(entry, entry.disclosed) or "nothing", shared_width)),
                cell(decision_words(entry.decision) if entry.decision else "No receipt"),
                key=str(index),
            )
        if not self.entries:
            self.query_one("#receipt", Static).update("Nothing shared yet.")
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        entry = self.entries[int(event.row_key.value)]
        self.query_one("#receipt", Static).update(self.receipt(entry))
        self.query_one("#receipt-box", VerticalScroll).scroll_home(animate=False)

    def receipt(self, entry: Presentation) -> Table:
        # The desk by its name first, its DID under it, as the request showed it.
        who = "Agency" if entry.by_rule else "Desk"
        rows = [("When", when(entry.at)), (who, entry.verifier_name or entry.verifier)]
        if entry.verifier_name:
            rows.append(("", entry.verifier))
        rows.append(("Purpose", entry.purpose or "not given"))
        rows.append(("Shared", self.words(entry, entry.disclosed) or "nothing"))
        if entry.by_rule:
            # Asked by its public rule, checked on the ledger before anything was sent: no
            # desk's accreditation, and no receipt, are to be had (wallet.holder.by_rule).
            error = f" ({entry.error})" if entry.error else ""
            rows.append(("Asked by", "its public rule on the ledger, checked there first"))
            rows.append(("Decision", decision_words(entry.decision) + error))
            return facts(rows)
        # What the desk asked for and the citizen left out: said only when there was some
        # (a claim the desk never asked for was not "kept back", it was never in question).
        if entry.withheld:
            rows.append(("Kept back", self.words(entry, entry.withheld)))
        if entry.accreditation:
            rows.append(("Accredited", f"✔ on the ledger ({entry.accreditation})"))
        else:
            rows.append(("Accredited", "✘ not accredited for this credential"))
        if entry.unaccredited:
            sent = self.words(entry, entry.unaccredited)
            rows.append(("", f"✘ sent although not allowed: {sent}"))
        if not entry.fresh_copy:
            rows.append(("Copy", "one this desk had seen before: it can tell it met this card"))
        receipt = entry.receipt_claims
        if receipt is not None:
            received = list(receipt.claim_names)
            decision = decision_words(receipt.decision)
            rows.append(("Receipt", f"signed by the desk and checked: {decision}"))
            why = refusal(receipt)
            if why:
                rows.append(("", f"why: {why}"))
            rows.append(("", f"it says it received {self.words(entry, received) or 'nothing'}"))
        else:
            error = f" ({entry.error})" if entry.error else ""
            rows.append(("Receipt", f"none came back{error}"))
        return facts(rows)
