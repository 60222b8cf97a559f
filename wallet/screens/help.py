"""Keys and the few ideas a citizen needs: copies, accreditation, what is never sent."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]Keys[/b]
  enter  open a card: every claim, and which you can keep back
  r  receive a credential (paste the agency's offer link)
  p  present: answer a desk's request (paste its link)
  h  history: who saw what, and their signed receipts
  a  ask by a public rule: issued at once, or told which condition failed
  u  update statuses from the public ledger
  s  settings: ledger, passphrase, backup
  l  lock now (it also locks itself after a while)
  ctrl+p  command palette    escape  back    ctrl+q  quit

[b]Accredited?[/b] The public ledger lists which agencies may issue which \
credentials, and which desks may ask for which claims. The wallet checks it \
before anything happens.
[b]NOT ALLOWED[/b] claims are never sent, unless you override behind a warning.
[b]Copies.[/b] Each credential comes as several copies, each with its own key, \
so two desks cannot tell they saw the same card.
"""


# Asked for before the wallet is open (F1 at the first run or the unlock): what to do first,
# since none of the keys below does anything yet.
NOT_CREATED: Final = "Your wallet does not exist yet: choose a passphrase (twice) and Create \
wallet, or restore a backup. Then these keys work:"
LOCKED: Final = "Your wallet is locked: type your passphrase, then Enter. Then these keys work:"


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help-close", tooltip="Close")
    ]

    def __init__(self, first: str = "") -> None:
        super().__init__()
        self.first = first

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help-dialog"):
            if self.first:
                yield Static(self.first, classes="help-first")
            yield Static(HELP)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
