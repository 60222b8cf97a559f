"""Help (F1) asked for before the wallet is open says what to do first: create it (or restore
a backup), or type the passphrase. It listed only the keys of an open wallet (r receive, p
present, …), none of which does anything at the first run or the lock screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.wallet.conftest import PASSPHRASE, fast_settings
from tests.wallet.test_app import SIZE, fill, locked_app
from wallet.app import WalletApp
from wallet.screens.access import FirstRunScreen, UnlockScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.help import LOCKED, NOT_CREATED, HelpScreen

pytestmark = pytest.mark.asyncio


def first_lines(app: WalletApp) -> list[str]:
    assert isinstance(app.screen, HelpScreen)
    return [str(s.render()) for s in app.screen.query(".help-first").results(Static)]


async def test_at_the_first_run_help_says_to_create_the_wallet(tmp_path: Path) -> None:
    app = WalletApp(fast_settings(tmp_path / "data"))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("f1")
        assert first_lines(app) == [NOT_CREATED]
        await pilot.press("escape")
        assert isinstance(app.screen, FirstRunScreen)


async def test_locked_help_says_to_unlock_open_help_only_the_keys(tmp_path: Path) -> None:
    app = locked_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press("f1")
        assert first_lines(app) == [LOCKED]
        await pilot.press("escape")
        await fill(pilot, "#passphrase", PASSPHRASE, submit=True)
        assert isinstance(app.screen, CardsScreen)
        await pilot.press("f1")
        assert first_lines(app) == []
