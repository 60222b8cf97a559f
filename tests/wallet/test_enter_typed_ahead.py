"""Keys typed while the wallet starts (seconds on a busy machine) are kept by the terminal
until the app reads them: the passphrase reaches its field, and the Enter after it arrives as
a newline (ctrl+j), as the terminal translates Enter for a shell. The unlock screen takes it as
Enter: the passphrase typed ahead, then Enter, opens the wallet."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label

from tests.wallet.conftest import PASSPHRASE, fast_settings
from tests.wallet.test_app import SIZE, locked_app, settle
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.access import UnlockScreen
from wallet.screens.cards import CardsScreen

pytestmark = pytest.mark.asyncio


async def test_a_passphrase_and_enter_typed_ahead_open_the_wallet(tmp_path: Path) -> None:
    app = locked_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*PASSPHRASE, "ctrl+j")
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)


async def test_a_newline_with_nothing_typed_asks_for_the_passphrase(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    Wallet.create(settings, PASSPHRASE).close()
    app = WalletApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+j")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        assert "Type your passphrase" in str(screen.query_one("#problem", Label).render())


async def test_a_wrong_passphrase_typed_ahead_is_told(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    Wallet.create(settings, PASSPHRASE).close()
    app = WalletApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"not the passphrase", "ctrl+j")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        assert "does not open" in str(screen.query_one("#problem", Label).render())
