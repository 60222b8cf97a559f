"""Getting into the wallet: create one (first run), or unlock it. Key derivation runs in a
worker so the screen stays alive while Argon2id works."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Final

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from civicid.errors import Error
from wallet.errors import WALLET_PASSPHRASE_MISMATCH, WALLET_PASSPHRASE_WRONG
from wallet.holder.vault import check_strength
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.settings import WalletSettings, check_ledger_key
from wallet.widgets.footer import KeysFooter
from wallet.widgets.form import Form
from wallet.widgets.inert import plain
from wallet.widgets.passphrase import FreshInput, PassphraseWithHint, TypedAheadInput

QUIT = Binding("ctrl+q", "app.quit", "Quit", id="quit", tooltip="Leave the wallet")


def finished(screen: FirstRunScreen | UnlockScreen, result: object) -> None:
    if isinstance(result, Wallet):
        screen.dismiss(result)
    elif isinstance(result, Error):
        screen.failed(result)


NO_KEY: Final = (
    "Type the ledger's checkpoint key: without it the wallet can believe nothing the ledger "
    "says, and can receive no card. The ledger's operator publishes it; `civicid up` prints "
    "it, and a wallet run over up's data dir (CIVICID_DATA_DIR) needs none."
)


def key_label(settings: WalletSettings) -> str:
    """The key field's words: where a key is already in force without one typed (a ledger run
    in this data dir, as ``civicid up`` sets up), the field may stay empty."""
    if settings.key_source() == "key store":
        return "Ledger checkpoint key (may stay empty: this data dir's ledger key is used)"
    return "Ledger checkpoint key (needed: its operator publishes it)"


class FirstRunScreen(Screen[Wallet]):
    """Create a wallet (passphrase twice, the ledger it trusts), or restore a backup."""

    # The passphrase is focused on mount, the form left at its top (focused before the
    # form is laid out, the field would be scrolled to the middle, the welcome above it).
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [QUIT]

    def __init__(self, settings: WalletSettings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Form(classes="form"):
            yield Label("Welcome to your CivicID wallet", classes="title")
            yield Static(
                "Your credentials stay on this computer, sealed under a passphrase only you "
                "know. Nobody can recover it for you: write it down somewhere safe.",
                classes="intro",
            )
            yield Label("Passphrase (several words)", classes="field-label")
            yield PassphraseWithHint("Choose a passphrase", id="passphrase")
            yield Label("The same passphrase again", classes="field-label")
            yield Input(password=True, compact=True, id="again")
            yield Label("Ledger URL", classes="field-label")
            yield Input(self.settings.ledger_url, compact=True, id="ledger")
            yield Label(key_label(self.settings), classes="field-label", id="ledger-key-label")
            yield Input(self.settings.ledger_key or "", compact=True, id="ledger-key")
            with Horizontal(classes="buttons"):
                yield Button("Create wallet", variant="primary", id="create")
            yield Label("", id="problem", classes="problem")
            yield Label("Or restore a backup into this new wallet", classes="section")
            yield Label("Backup file", classes="field-label")
            yield Input(compact=True, id="backup-path")
            yield Label("Backup passphrase", classes="field-label")
            yield Input(password=True, compact=True, id="backup-passphrase")
            yield Button("Restore backup", id="restore")
            yield LoadingIndicator(id="busy")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.query_one("#passphrase", Input).focus(scroll_visible=False)

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves on; in the last field of a part, it does that part's button."""
        if event.input.id == "ledger-key":
            self.query_one("#create", Button).press()
        elif event.input.id == "backup-passphrase":
            self.query_one("#restore", Button).press()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        secret, again = self.value("#passphrase"), self.value("#again")
        problem = self.query_one("#problem", Label)
        try:
            check_strength(secret)
            if secret != again:
                raise WALLET_PASSPHRASE_MISMATCH("the two passphrases differ")
        except Error as exc:
            problem.update(plain(exc.message))
            return
        problem.update("")
        key = self.value("#ledger-key") or None
        if key is None and self.settings.key_or_none() is None:
            # Made without one, the wallet would find out at its first card (as `wallet init`
            # refuses the same): said here, with where the key comes from.
            problem.update(NO_KEY)
            self.query_one("#ledger-key", Input).focus()
            return
        try:
            if key is not None and key != self.settings.ledger_key:
                check_ledger_key(key)  # as `wallet init` does: nothing is written for a bad one
            settings = self.settings.save(ledger_url=self.value("#ledger") or None, ledger_key=key)
        except Error as exc:
            self.app.push_screen(ErrorModal(exc))
            return
        self.query_one("#busy").display = True
        if event.button.id == "restore":
            self.restore(
                settings, secret, Path(self.value("#backup-path")), self.value("#backup-passphrase")
            )
        else:
            self.create(settings, secret)

    @work(thread=True, exclusive=True, group="access")
    def create(self, settings: WalletSettings, secret: str) -> None:
        try:
            wallet = Wallet.create(settings, secret)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(self.dismiss, wallet)

    @work(thread=True, exclusive=True, group="access")
    def restore(
        self, settings: WalletSettings, secret: str, path: Path, backup_secret: str
    ) -> None:
        try:
            wallet = Wallet.restore(settings, path, backup_secret, secret)
        except Error as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(self.dismiss, wallet)

    def failed(self, error: Error) -> None:
        self.query_one("#busy").display = False
        self.app.push_screen(ErrorModal(error))


class UnlockScreen(Screen[Wallet]):
    """The passphrase, once per session and again after the wallet locked itself."""

    BINDINGS: ClassVar[list[BindingType]] = [QUIT]

    def __init__(
        self, settings: WalletSettings, wallet: Wallet | None = None, reason: str = ""
    ) -> None:
        super().__init__()
        self.settings = settings
        self.wallet = wallet
        self.reason = reason
        # Messages that came while this covered the wallet, shown once it is unlocked.
        self.held: list[tuple[Error, str]] = []
        self.telling: Error | None = None  # its own message (the wallet cannot be opened)

    def hold(self, modal: ErrorModal) -> bool:
        """Keep a message that came for a screen this covers (``ErrorModal``); this
        screen's own, and any while no wallet was open yet, are shown at once."""
        if self.wallet is None or modal.error is self.telling:
            return False
        self.held.append((modal.error, modal.heading))
        return True

    def compose(self) -> ComposeResult:
        with Vertical(classes="form narrow"):
            yield Label("Unlock your wallet", classes="title")
            if self.reason:
                yield Static(self.reason, classes="intro")
            # Over a wallet in use, keys typed before the lock were meant for the screen it
            # covers; at the first unlock there is none, and keys typed ahead (while the app
            # starts) are the passphrase.
            field = FreshInput if self.wallet is not None else TypedAheadInput
            yield field(placeholder="Passphrase", password=True, compact=True, id="passphrase")
            yield Label("", id="problem", classes="problem")
            yield LoadingIndicator(id="busy")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#problem", Label).update("Type your passphrase, then Enter.")
            return
        self.query_one("#busy").display = True
        self.query_one("#problem", Label).update("Unlocking…")
        self.unlock(event.value)

    @work(thread=True, exclusive=True, group="access")
    def unlock(self, secret: str) -> Wallet | Error:
        try:
            if self.wallet is not None:
                self.wallet.unlock(secret)
                return self.wallet
            return Wallet.open(self.settings, secret)
        except Error as exc:
            return exc

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:
            finished(self, event.worker.result)

    def failed(self, error: Error) -> None:
        self.query_one("#busy").display = False
        field = self.query_one("#passphrase", Input)
        field.value = ""
        field.focus()
        if WALLET_PASSPHRASE_WRONG.matches(error):
            self.query_one("#problem", Label).update("That passphrase does not open this wallet.")
            return
        self.query_one("#problem", Label).update("")
        self.telling = error
        self.app.push_screen(ErrorModal(error, "The wallet cannot be opened"))
