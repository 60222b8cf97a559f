"""Every presentation: when, to which desk, which claims, the decision and its receipt."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from civicid.times import rfc3339
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.widgets.inert import cell, lines, plain


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="history-back", tooltip="Back"),
        Binding("question_mark", "app.help", "Help", id="history-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet) -> None:
        super().__init__()
        self.wallet = wallet
        self.entries: list[Presentation] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Who saw what, and when", classes="title")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
            yield Static("", id="receipt", classes="receipt")
        yield Footer()

    def on_mount(self) -> None:
        self.entries = self.wallet.history()
        table = self.query_one(DataTable)
        table.add_columns("When (UTC)", "Desk", "Claims shared", "Decision")
        for index, entry in enumerate(reversed(self.entries)):
            table.add_row(
                cell(rfc3339(entry.at).replace("T", " ")[:16]),
                cell(entry.verifier.removeprefix("did:civicid:")[:10] + "…"),
                cell(", ".join(entry.disclosed) or "-"),
                cell(entry.decision or f"no receipt ({entry.error})"),
                key=str(index),
            )
        if not self.entries:
            self.query_one("#receipt", Static).update("Nothing shared yet.")
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        entry = list(reversed(self.entries))[int(event.row_key.value)]
        receipt = entry.receipt_claims
        rows = [
            plain("Desk ", entry.verifier),
            plain("Purpose: ", entry.purpose or "-"),
            plain(
                "Accreditation: ",
                entry.accreditation or "none",
                (
                    "  · sent although not accredited: " + ", ".join(entry.unaccredited)
                    if entry.unaccredited
                    else ""
                ),
            ),
            plain(
                "Withheld: ",
                ", ".join(entry.withheld) or "nothing",
                "" if entry.fresh_copy else "  · a copy this desk had seen before",
            ),
        ]
        if receipt:
            claims = [c for r in receipt.get("received", []) for c in r.get("claims", [])]
            rows.append(
                plain(
                    "Receipt, signed by the desk and checked: ",
                    str(receipt.get("decision")),
                    f"; it says it received {', '.join(map(str, claims)) or 'nothing'}",
                )
            )
        self.query_one("#receipt", Static).update(lines(*rows))
