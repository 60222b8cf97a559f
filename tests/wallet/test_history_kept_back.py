"""A receipt in the history says what was shared and, only when the citizen left out some
of what the desk asked for, what was kept back: it said "Kept back: nothing" for every
presentation where no optional claim was asked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings
from tests.wallet.painted import painted
from tests.wallet.test_app import SIZE
from tests.wallet.test_history_names import shown
from wallet.app import WalletApp
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.screens.history import HistoryScreen


async def receipt_lines(tmp_path: Path, entry: Presentation) -> list[str]:
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        wallet.record(entry)
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("h")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            return [line.strip(" │") for line in painted(app)[1]]


@pytest.mark.asyncio
async def test_nothing_kept_back_is_not_said(tmp_path: Path) -> None:
    lines = await receipt_lines(tmp_path, shown("Cadur town hall desk"))
    assert any(line.startswith("Shared ") and "Age 18 or over" in line for line in lines)
    assert not any("Kept back" in line for line in lines), lines


@pytest.mark.asyncio
async def test_what_was_left_out_is_said(tmp_path: Path) -> None:
    entry = replace(shown("Cadur town hall desk"), withheld=("family_name",))
    lines = await receipt_lines(tmp_path, entry)
    [kept] = [line for line in lines if line.startswith("Kept back")]
    assert kept.removeprefix("Kept back").strip() == "Family name"
