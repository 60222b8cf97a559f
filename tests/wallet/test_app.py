"""The Textual app driven by Textual's pilot at 80x24: every flow a citizen goes through."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Label, OptionList
from textual.worker import WorkerCancelled

from tests.wallet.conftest import OTHER_PASSPHRASE, PASSPHRASE, Ticker, fast_settings, made_up
from tests.wallet.painted import painted
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.access import FirstRunScreen, UnlockScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.details import DetailsScreen
from wallet.screens.error import ConfirmModal, ErrorModal
from wallet.screens.help import HelpScreen
from wallet.screens.history import HistoryScreen
from wallet.screens.present import PresentScreen
from wallet.screens.receive import ReceiveScreen
from wallet.screens.settings import SettingsScreen

pytestmark = pytest.mark.asyncio
SIZE = (80, 24)


async def settle(pilot: Pilot[None]) -> None:
    """Let workers (network, key derivation) finish and the screen catch up. A screen that
    closes cancels its workers once they are done: that is not a failure."""
    for _ in range(2):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def cards(app: WalletApp) -> int:
    return app.screen.query_one("#cards", OptionList).option_count


async def fill(pilot: Pilot[None], selector: str, text: str, submit: bool = False) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()
    if submit:
        await pilot.press("enter")
        await settle(pilot)


async def test_first_run_creates_a_wallet(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    app = WalletApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, FirstRunScreen)
        assert "at least 10 characters" in str(app.screen.query_one(".hint", Label).render())
        await fill(pilot, "#passphrase", "short")
        hint = app.screen.query_one(".hint", Label)
        assert "too short" in str(hint.render())
        await fill(pilot, "#again", "short")
        await pilot.click("#create")
        await pilot.pause()
        assert "at least" in str(app.screen.query_one("#problem", Label).render())
        assert not settings.store_path.exists()
        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#again", "something else entirely")
        await pilot.click("#create")
        await pilot.pause()
        assert "differ" in str(app.screen.query_one("#problem", Label).render())
        await fill(pilot, "#again", PASSPHRASE)
        await pilot.click("#create")
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)
    assert settings.store_path.exists()
    Wallet.open(settings, PASSPHRASE).close()


def locked_app(root: Path) -> WalletApp:
    """The app of a wallet made in ``root`` holding one card, shut: it opens at the unlock
    screen."""
    settings = fast_settings(root / "data")
    with Wallet.create(settings, PASSPHRASE) as wallet:
        wallet.add(made_up())
    return WalletApp(settings)


async def test_unlock_wrong_then_right(tmp_path: Path) -> None:
    app = locked_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await fill(pilot, "#passphrase", "not the passphrase", submit=True)
        assert isinstance(app.screen, UnlockScreen)
        assert "does not open" in str(app.screen.query_one("#problem", Label).render())
        await fill(pilot, "#passphrase", PASSPHRASE, submit=True)
        assert isinstance(app.screen, CardsScreen)
        assert cards(app) == 1


async def test_damaged_store_opens_an_error_modal_naming_restore(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    Wallet.create(settings, PASSPHRASE).close()
    settings.store_path.write_bytes(settings.store_path.read_bytes()[:-5])
    before = settings.store_path.read_bytes()
    app = WalletApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE, submit=True)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_store_corrupt"
        assert "restore" in str(app.screen.query_one(".todo").render())
    assert settings.store_path.read_bytes() == before


async def test_receive_flow(holder: Wallet, issuer_stub: RogueIssuer) -> None:
    app = WalletApp(holder.settings, wallet=holder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, ReceiveScreen)
        await fill(pilot, "#link", issuer_stub.offer(), submit=True)
        review = "\n".join(painted(app)[1])
        assert "✔ accredited to issue National ID" in review
        assert "(6 digits)" in review
        assert issuer_stub.behaviour.tokens_spent == []
        code = app.screen.query_one("#tx-code", Input)
        assert code.display and app.focused is code
        await fill(pilot, "#tx-code", TX_CODE, submit=True)
        assert app.screen.query_one("#received", OptionList).option_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CardsScreen)
        assert cards(app) == 1
    assert len(holder.credentials()) == 1


async def test_a_mistyped_code_spends_no_attempt_and_a_wrong_one_is_typed_again(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    app = WalletApp(holder.settings, wallet=holder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await fill(pilot, "#link", issuer_stub.offer(), submit=True)
        code = app.screen.query_one("#tx-code", Input)
        await pilot.press(*"49a35")  # a letter in a numeric code is not taken
        assert code.value == "4935"
        await pilot.press("enter")
        await settle(pilot)
        assert "has 6 characters; you typed 4" in str(app.screen.query_one("#progress").render())
        assert not [r for r in issuer_stub.requests if r.endswith("/token")]
        await pilot.press(*"1234567")  # no longer than the code
        assert code.value == "493512"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert "not accepted" in str(app.screen.query_one(".todo").render())  # invalid_grant
        await pilot.press("enter")
        await pilot.pause()
        assert code.value == "" and app.focused is code
        await fill(pilot, "#tx-code", TX_CODE, submit=True)
        assert app.screen.query_one("#received", OptionList).option_count == 1
    assert len(holder.credentials()) == 1


async def test_receive_from_an_unaccredited_issuer_shows_what_to_do(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.vct = "https://civicid.example/vct/library-card"
    app = WalletApp(holder.settings, wallet=holder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await fill(pilot, "#link", issuer_stub.offer(), submit=True)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "issuer_not_accredited"
        assert "Do not type any code" in str(app.screen.query_one(".todo").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReceiveScreen)
        assert not app.screen.query_one("#tx-code").display
    assert holder.credentials() == []


async def test_present_flow_with_an_optional_claim_left_out(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.optional = ["family_name"]
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, PresentScreen)
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        desk = "\n".join(painted(app)[1])
        assert "Ledger ✔ accredited (" in desk
        boxes = {box.label.plain: box for box in app.screen.query(Checkbox)}
        assert boxes["Given name"].disabled and boxes["Given name"].value  # required
        assert not boxes["Family name"].disabled and boxes["Family name"].value  # optional
        assert desk_stub.behaviour.received == []
        boxes["Family name"].value = False
        await pilot.pause()
        await pilot.click("#send")
        await settle(pilot)
        decision = str(app.screen.query_one("#decision").render())
        assert "✔ Eligible" in decision and "Kept back: Family name" in decision
    [received] = desk_stub.behaviour.received
    assert "family_name" not in received and received["given_name"] == "Ada"


async def test_present_override_of_a_claim_not_allowed(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.optional = ["birthdate"]
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        boxes = {box.label.plain: box for box in app.screen.query(Checkbox)}
        assert boxes["Date of birth"].disabled and not boxes["Date of birth"].value
        await pilot.click("#override")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.focused is not None and app.focused.id == "no"  # "no" is the default
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, PresentScreen)
        assert not boxes["Date of birth"].disabled and app.focused is boxes["Date of birth"]
        await pilot.press("space")
        await pilot.click("#send")
        await settle(pilot)
    [received] = desk_stub.behaviour.received
    assert received["birthdate"] == "1990-12-10"
    assert citizen.history()[0].unaccredited == ("birthdate",)


async def test_present_without_override_never_sends_a_claim_not_allowed(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.optional = ["birthdate"]
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        await pilot.click("#send")
        await settle(pilot)
    [received] = desk_stub.behaviour.received
    assert "birthdate" not in received


async def test_cards_details_history_help_and_palette(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    citizen.present(citizen.prepare(desk_stub.link()))
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen)
        assert any("Lovelace" in str(label.render()) for label in app.screen.query(Label))
        await pilot.press("escape", "h")
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert "Given name, Resident" in str(table.get_row_at(0))
        assert "checked: Eligible" in "\n".join(painted(app)[1])
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"Settings")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)


async def test_idle_wallet_locks_and_unlocks(tmp_path: Path) -> None:
    ticker = Ticker()
    settings = fast_settings(tmp_path / "data")
    wallet = Wallet.create(settings, PASSPHRASE, monotonic=ticker)
    wallet.add(made_up())
    app = WalletApp(settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, CardsScreen)
        ticker.now += settings.idle_timeout + 1
        app.lock_when_idle()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and wallet.locked
        await pilot.press("r")  # nothing behind the lock screen answers
        assert isinstance(app.screen, UnlockScreen)
        await fill(pilot, "#passphrase", PASSPHRASE, submit=True)
        assert isinstance(app.screen, CardsScreen) and not wallet.locked
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and wallet.locked


async def test_the_idle_lock_with_no_screen_does_nothing(tmp_path: Path) -> None:
    """Its timer may fire while the app starts or closes, when no screen is on the stack (a
    loaded machine shows it): the wallet stays as it is, nothing is raised."""
    ticker = Ticker()
    settings = fast_settings(tmp_path / "data")
    wallet = Wallet.create(settings, PASSPHRASE, monotonic=ticker)
    app = WalletApp(settings, wallet=wallet)
    assert not app.screen_stack
    ticker.now += settings.idle_timeout + 1
    app.lock_when_idle()
    assert not wallet.locked and not app.screen_stack


async def test_settings_change_passphrase_and_backup(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    wallet = Wallet.create(settings, PASSPHRASE)
    wallet.add(made_up())
    backup = tmp_path / "wallet.backup"
    app = WalletApp(settings, wallet=wallet)
    async with app.run_test(size=(80, 60)) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        await fill(pilot, "#old", PASSPHRASE)
        await fill(pilot, "#new", OTHER_PASSPHRASE)
        await fill(pilot, "#again", OTHER_PASSPHRASE)
        app.screen.query_one("#change", Button).press()
        await settle(pilot)
        assert "changed" in str(app.screen.query_one("#passphrase-note").render())
        await fill(pilot, "#backup-path", str(backup))
        await fill(pilot, "#backup-passphrase", "a passphrase for the backup")
        app.screen.query_one("#backup", Button).press()
        await settle(pilot)
        assert "Backup written" in str(app.screen.query_one("#backup-note").render())
    wallet.close()
    Wallet.open(settings, OTHER_PASSPHRASE).close()
    other = fast_settings(tmp_path / "other")
    with Wallet.restore(other, backup, "a passphrase for the backup", PASSPHRASE) as restored:
        assert len(restored.credentials()) == 1
