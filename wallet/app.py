"""``civicid wallet``: the citizen's wallet as a Textual app, keyboard first, usable at 80x24.

A thin shell over ``wallet.holder.Wallet``: screens call it (network and key derivation in
workers) and show what it answers; errors go to a modal that says what to do.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from wallet.errors import WALLET_CHECKPOINT_PUT_BACK, WALLET_LEDGER_UNCONFIGURED
from wallet.holder.wallet import Wallet
from wallet.screens.access import FirstRunScreen, UnlockScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.error import ErrorModal
from wallet.screens.help import LOCKED, NOT_CREATED, HelpScreen
from wallet.screens.task import stale
from wallet.settings import WalletSettings

# How often the app asks the wallet whether it has idled long enough to lock.
IDLE_POLL_SECONDS: Final = 1.0


def forget_secrets(screens: Iterable[Screen[Any]]) -> None:
    """Empty every field shown as dots (a passphrase, a transaction code) on the screens a
    lock covers: what was typed there is not kept behind the lock, in memory or on screen."""
    for screen in screens:
        for field in screen.query(Input):
            if field.password:
                field.clear()


class WalletApp(App[None]):
    CSS_PATH = "wallet.tcss"
    TITLE = "CivicID wallet"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app-quit", tooltip="Leave (the wallet locks)"),
        Binding("f1", "help", "Help", show=False, id="app-help", tooltip="Keys and concepts"),
    ]

    def __init__(
        self, settings: WalletSettings, *, link: str = "", wallet: Wallet | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.link = link  # an offer or request link to open once unlocked
        self.wallet: Wallet | None = wallet
        self.owns_wallet = wallet is None  # one handed in is closed by whoever opened it
        self.locked_at = 0.0  # when it last locked (``time.monotonic``)
        self.unlocking: UnlockScreen | None = None  # the lock screen over the wallet, if any

    # -- getting in ---------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(IDLE_POLL_SECONDS, self.lock_when_idle)
        if self.wallet is not None:
            self.enter(self.wallet)
        elif Wallet.exists(self.settings):
            self.push_screen(UnlockScreen(self.settings), self.entered)
        else:
            self.push_screen(FirstRunScreen(self.settings), self.entered)

    def entered(self, wallet: Wallet | None) -> None:
        if wallet is not None:
            self.enter(wallet)

    def enter(self, wallet: Wallet) -> None:
        self.wallet = wallet
        self.switch_screen(CardsScreen(wallet)) if self.screen_stack[1:] else self.push_screen(
            CardsScreen(wallet)
        )
        if wallet.settings.key_or_none() is None:
            # Said when the wallet is opened, not at its first card (a link given could not
            # be followed without the key either).
            self.link = ""
            self.push_screen(
                ErrorModal(
                    WALLET_LEDGER_UNCONFIGURED(
                        "this wallet has no ledger checkpoint key, so it can believe nothing "
                        "the ledger says: it can receive, check and show no card until it has one"
                    ),
                    "Before your first card",
                )
            )
            return
        link, self.link = self.link, ""
        if link.startswith("openid4vp"):
            self.action_present(link)
        elif link:
            self.action_receive(link)

    def lock_when_idle(self) -> None:
        wallet = self.wallet
        # No screen: the timer fired while the app starts or closes (seen on a loaded machine).
        # A lock screen anywhere in the stack is the one to unlock: one over its own message
        # (a wallet file found damaged at unlock) would hide the message, and again at each try.
        stack = self.screen_stack
        if wallet is None or not stack or any(isinstance(s, UnlockScreen) for s in stack):
            return
        if wallet.check_idle():
            self.lock_over(wallet, "The wallet locked itself after a while without use.")
        else:
            self.tell_mended()

    def lock_over(self, wallet: Wallet, reason: str) -> None:
        """The unlock screen over whatever was shown, the secrets typed there forgotten."""
        self.locked_at = time.monotonic()
        forget_secrets(self.screen_stack)
        self.unlocking = UnlockScreen(self.settings, wallet, reason)
        self.push_screen(self.unlocking, self.resumed)

    async def on_event(self, event: events.Event) -> None:
        # A person typing or clicking is using the wallet, whether or not the key reaches the
        # wallet itself (a field being filled): it must not lock under their fingers, and
        # their next letters go to the passphrase field instead.
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            wallet = self.wallet
            if wallet is not None and not wallet.locked:
                wallet.idle.touch()
        await super().on_event(event)

    def resumed(self, _: Wallet | None) -> None:
        """Back to the screen the lock covered; one showing an answer it showed before the
        lock shows its task fresh (``wallet.screens.task``), and a message shown over it
        before the lock (a refusal, an error) is closed: it was read, or it is old news
        that would read as new."""
        while isinstance(self.screen, ErrorModal) and self.screen.shown_at <= self.locked_at:
            self.pop_screen()
        screen = self.screen
        if stale(screen, self.locked_at):
            self.switch_screen(screen.fresh())
        else:
            screen.refresh()
        # What came while locked was not seen: shown now, over the screen it came for.
        held, self.unlocking = (self.unlocking.held if self.unlocking else []), None
        for error, heading in held:
            self.push_screen(ErrorModal(error, heading))
        self.tell_mended()

    def tell_mended(self) -> None:
        """The wallet's file found changed from outside and written again (at the unlock,
        or at a write since): said once, over whatever is shown."""
        notice = self.wallet.take_notice() if self.wallet is not None else None
        if notice is not None:
            what = "checkpoint" if WALLET_CHECKPOINT_PUT_BACK.matches(notice) else "wallet"
            self.push_screen(ErrorModal(notice, f"Your {what} file was changed from outside"))

    def on_unmount(self) -> None:
        if self.wallet is not None and self.owns_wallet:
            self.wallet.close()

    # -- actions (bindings, palette) -----------------------------------------------------

    def _open(self) -> Wallet | None:
        if self.wallet is None or self.wallet.locked:
            return None
        self.wallet.idle.touch()
        return self.wallet

    def action_receive(self, link: str = "") -> None:
        from wallet.screens.receive import ReceiveScreen

        if wallet := self._open():
            self.push_screen(ReceiveScreen(wallet, link))

    def action_present(self, link: str = "") -> None:
        from wallet.screens.present import PresentScreen

        if wallet := self._open():
            self.push_screen(PresentScreen(wallet, link))

    def action_apply(self) -> None:
        from wallet.screens.apply import ApplyScreen

        if wallet := self._open():
            self.push_screen(ApplyScreen(wallet))

    def action_history(self) -> None:
        from wallet.screens.history import HistoryScreen

        if wallet := self._open():
            self.push_screen(HistoryScreen(wallet))

    def action_settings(self) -> None:
        from wallet.screens.settings import SettingsScreen

        if wallet := self._open():
            self.push_screen(SettingsScreen(wallet))

    def action_lock(self) -> None:
        if self.wallet is not None and not self.wallet.locked:
            self.wallet.lock()
            self.lock_over(self.wallet, "Locked: your passphrase opens it again.")

    def action_help(self) -> None:
        first = ""
        if isinstance(self.screen, FirstRunScreen):
            first = NOT_CREATED
        elif self.wallet is None or self.wallet.locked:
            first = LOCKED
        self.push_screen(HelpScreen(first))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.wallet is None or self.wallet.locked:
            return
        yield SystemCommand(
            "Receive a credential", "Paste an agency's offer link", self.action_receive
        )
        yield SystemCommand(
            "Present to a desk", "Answer a desk's request link", self.action_present
        )
        yield SystemCommand(
            "Ask by a public rule", "Issued at once by an agency's rule, or told why not",
            self.action_apply,
        )  # fmt: skip
        yield SystemCommand("History", "Who saw what, and their receipts", self.action_history)
        yield SystemCommand("Settings", "Ledger, passphrase, backup", self.action_settings)
        yield SystemCommand("Lock", "Lock the wallet now", self.action_lock)
        yield SystemCommand("Help", "Keys and concepts", self.action_help)
