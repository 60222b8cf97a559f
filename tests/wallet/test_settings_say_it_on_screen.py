"""What came of a settings button is said right under it, on the screen: at 80x24 the one
note at the foot of the form ("Ledger saved.", "Backup written") was below the screen's edge,
so a press seemed to do nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button

from tests.wallet.conftest import OTHER_PASSPHRASE, PASSPHRASE, fast_settings, made_up
from tests.wallet.painted import painted
from tests.wallet.test_app import SIZE, fill, settle
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.screens.settings import SettingsScreen
from wallet.settings import WalletSettings

pytestmark = pytest.mark.asyncio


def on_screen(app: WalletApp) -> str:
    return "\n".join(painted(app)[1])


async def test_saving_the_ledger_says_so_in_view(tmp_path: Path) -> None:
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE) as wallet:
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            assert isinstance(app.screen, SettingsScreen)
            assert "Ledger saved" not in on_screen(app)
            await fill(pilot, "#ledger", "http://127.0.0.1:8799")
            app.screen.query_one("#save-ledger", Button).press()
            await settle(pilot)
            assert "Ledger saved." in on_screen(app)


async def test_changing_the_passphrase_says_so_in_view(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    with Wallet.create(settings, PASSPHRASE) as wallet:
        app = WalletApp(settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            await fill(pilot, "#old", PASSPHRASE)
            await fill(pilot, "#new", OTHER_PASSPHRASE)
            await fill(pilot, "#again", OTHER_PASSPHRASE)
            app.screen.query_one("#change", Button).press()
            await settle(pilot)
            assert "Passphrase changed." in on_screen(app)
    Wallet.open(settings, OTHER_PASSPHRASE).close()


async def test_a_backup_says_where_it_went_in_view(tmp_path: Path) -> None:
    backup = tmp_path / "wallet.backup"
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE) as wallet:
        wallet.add(made_up())
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            await fill(pilot, "#backup-path", str(backup))
            app.screen.query_one("#backup", Button).press()
            await settle(pilot)
            assert "Type the current passphrase" in on_screen(app)
            await fill(pilot, "#backup-passphrase", "a passphrase for the backup")
            app.screen.query_one("#backup", Button).press()
            await settle(pilot)
            assert "Backup written:" in on_screen(app)
    assert backup.exists()


async def test_a_ledger_address_that_is_no_url_says_what_one_looks_like(tmp_path: Path) -> None:
    """It said "Nothing was changed. If it happens again, note the code." under a
    settings error."""
    settings = fast_settings(tmp_path / "data")
    with Wallet.create(settings, PASSPHRASE) as wallet:
        before = WalletSettings.load(settings.data_dir).ledger_url
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            await fill(pilot, "#ledger", "htp:/bad url")
            app.screen.query_one("#save-ledger", Button).press()
            await settle(pilot)
            assert isinstance(app.screen, ErrorModal)
            assert app.screen.error.code == "wallet_settings_invalid"
            advice = str(app.screen.query_one(".todo").render())
            assert "such as https://ledger.example" in advice
            assert advice.endswith("Nothing was saved.")
    assert WalletSettings.load(settings.data_dir).ledger_url == before
