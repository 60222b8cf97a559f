"""Settings: the ledger the wallet trusts, the passphrase, and backups."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Final

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from civicid.errors import Error
from civicid.tlog_policy import TlogPolicy
from wallet.errors import WALLET_PASSPHRASE_MISMATCH
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.settings import WalletSettings, check_ledger_key
from wallet.widgets.footer import KeysFooter
from wallet.widgets.form import Form
from wallet.widgets.inert import lines, plain
from wallet.widgets.passphrase import PassphraseWithHint

# Where each part says what came of its button: right under it.
LEDGER_NOTE: Final = "#ledger-note"
SECRET_NOTE: Final = "#passphrase-note"  # noqa: S105 - a widget id
BACKUP_NOTE: Final = "#backup-note"
NOTES: Final = (LEDGER_NOTE, SECRET_NOTE, BACKUP_NOTE)


def quorum(policy: TlogPolicy) -> str:
    """Who must cosign, as the policy's quorum names it: a group's threshold and members,
    or one witness."""
    group = next((g for g in policy.groups if g.name == policy.quorum), None)
    if group is None:
        return policy.quorum
    count = "all" if group.threshold == len(group.members) else f"any {group.threshold}"
    return f"{count} of {', '.join(group.members)}"


def checkpoints_trusted(settings: WalletSettings) -> Content:
    """What a checkpoint needs for the wallet to believe it, under a witness policy: the
    ledger's key in force (and where it comes from) and the witnesses the policy names."""
    key = settings.key_or_none()
    source = "the settings" if settings.ledger_key else "the key store of a ledger run here"
    signed = f"Signed by the ledger's key {key} (from {source})" if key else "No ledger key set"
    named = f"the policy in {settings.witness_policy}"
    try:
        policy = settings.checkpoint_policy()
    except Error as exc:
        problem = f"The policy in {settings.witness_policy} cannot be used: {exc.message}"
        return lines(plain(signed), plain(f"{problem} ({exc.code})"))
    return lines(
        plain(signed),
        plain(
            f"and cosigned by {quorum(policy.witnesses)}, the newest quorum at most "
            f"{policy.max_age} s old, as {named} asks"
        ),
    )


class SettingsScreen(Screen[None]):
    # Nothing focused on opening: no field is typed into unasked, and ? and Escape answer.
    # Tab goes to the first field.
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="settings-back", tooltip="Back"),
        Binding("question_mark", "app.help", "Help", id="settings-help", tooltip="Keys"),
    ]

    def __init__(self, wallet: Wallet) -> None:
        super().__init__()
        self.wallet = wallet

    def compose(self) -> ComposeResult:
        settings = self.wallet.settings
        with Form(classes="form"):
            yield Label("Settings", classes="title")
            yield Label(
                "Ledger: where keys, accreditations, statuses are checked", classes="section"
            )
            yield Label("Ledger URL", classes="field-label")
            yield Input(settings.ledger_url, compact=True, id="ledger")
            if settings.witness_policy is None:
                yield Label("Ledger checkpoint key", classes="field-label")
                yield Input(settings.ledger_key or "", compact=True, id="ledger-key")
            else:  # the key and the witnesses together: what the policy has in force
                yield Label("Checkpoints trusted", classes="field-label")
                yield Static(checkpoints_trusted(settings), id="checkpoints", classes="meta")
            yield Button("Save ledger", id="save-ledger")
            yield Label("", id="ledger-note", classes="meta")
            yield Label("Passphrase", classes="section")
            yield Label("Current passphrase", classes="field-label")
            yield Input(password=True, compact=True, id="old")
            yield Label("New passphrase", classes="field-label")
            yield PassphraseWithHint("", id="new")
            yield Label("New passphrase again", classes="field-label")
            yield Input(password=True, compact=True, id="again")
            yield Button("Change passphrase", id="change")
            yield Label("", id="passphrase-note", classes="meta")
            yield Label("Backup: one encrypted file, restores on any machine", classes="section")
            yield Label("Backup file", classes="field-label")
            yield Input(str(Path.home() / "civicid-wallet.backup"), compact=True, id="backup-path")
            yield Label("Backup passphrase (empty: the current one above)", classes="field-label")
            yield Input(password=True, compact=True, id="backup-passphrase")
            with Horizontal(classes="buttons"):
                yield Button("Write backup", variant="primary", id="backup")
            yield Label("", id="backup-note", classes="meta")
            yield LoadingIndicator(id="busy")
            yield Label(
                f"Locks itself after {settings.idle_timeout:.0f} s without use.",
                id="note",
                classes="meta",
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        for where in NOTES:
            self.query_one(where).display = False

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def note(self, where: str, text: str, busy: bool = False) -> None:
        """What came of a part's button, said under it (a note at the foot of the form was
        below the screen's edge on a terminal of 24 or 34 lines)."""
        self.query_one("#busy").display = busy
        label = self.query_one(where, Label)
        label.update(plain(text))
        label.display = bool(text)
        if text:
            label.scroll_visible(animate=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save-ledger":
            try:
                keys = self.query("#ledger-key").results(Input)
                key = next((k.value for k in keys), "") or None
                if key is not None and key != self.wallet.settings.ledger_key:
                    # A new key is a new ledger: saved, it drops the checkpoint trusted
                    # under the old one. A mistyped one must not get that far.
                    check_ledger_key(key)
                self.wallet.settings = self.wallet.settings.save(
                    ledger_url=self.value("#ledger") or None, ledger_key=key
                )
                self.wallet.reset_ledger_client()
            except Error as exc:
                self.app.push_screen(ErrorModal(exc))
                return
            self.note(LEDGER_NOTE, "Ledger saved.")
        elif event.button.id == "change":
            if self.value("#new") != self.value("#again"):
                self.app.push_screen(
                    ErrorModal(WALLET_PASSPHRASE_MISMATCH("the new passphrases differ"))
                )
                return
            self.note(SECRET_NOTE, "Changing the passphrase…", busy=True)
            self.change(self.value("#old"), self.value("#new"))
        elif event.button.id == "backup":
            secret = self.value("#backup-passphrase") or self.value("#old")
            if not secret:
                self.note(
                    BACKUP_NOTE, "Type the current passphrase (or a backup passphrase) first."
                )
                return
            self.note(BACKUP_NOTE, "Writing the backup…", busy=True)
            self.backup(Path(self.value("#backup-path")), secret)

    @work(thread=True, exclusive=True, group="kdf")
    def change(self, old: str, new: str) -> None:
        try:
            self.wallet.change_passphrase(old, new)
        except Error as exc:
            self.app.call_from_thread(self.failed, SECRET_NOTE, exc)
            return
        self.app.call_from_thread(self.note, SECRET_NOTE, "Passphrase changed.")

    @work(thread=True, exclusive=True, group="kdf")
    def backup(self, path: Path, secret: str) -> None:
        try:
            size = self.wallet.backup(path, secret)
        except Error as exc:
            self.app.call_from_thread(self.failed, BACKUP_NOTE, exc)
            return
        self.app.call_from_thread(
            self.note, BACKUP_NOTE, f"Backup written: {path} ({size:,} bytes)."
        )

    def failed(self, where: str, error: Error) -> None:
        self.note(where, "")
        self.app.push_screen(ErrorModal(error))
