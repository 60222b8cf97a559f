"""The wallet on a clock moved back after it recorded times (a card received, checked, shown
to a desk): the cards screen says so, with both times, instead of only "1 status list could
not be read" at each update (the ledger's cosignatures then look as if from the future:
``cosignature_from_future``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Label

from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings, made_up
from tests.wallet.test_app import SIZE
from wallet.app import WalletApp
from wallet.holder.wallet import CLOCK_SLACK_SECONDS, Wallet
from wallet.screens.cards import CardsScreen
from wallet.widgets.words import when

DAY = 86_400


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


def holding(tmp_path: Path) -> tuple[Wallet, Clock]:
    clock = Clock()
    wallet = Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=clock)
    wallet.add(made_up())  # received at NOW
    return wallet, clock


@pytest.mark.parametrize("back", [0, 60, CLOCK_SLACK_SECONDS])
def test_a_clock_at_or_a_little_behind_what_was_recorded_is_fine(tmp_path: Path, back: int) -> None:
    wallet, clock = holding(tmp_path)
    clock.now = NOW - back
    assert wallet.clock_behind() is None
    wallet.close()


def test_a_clock_moved_back_is_behind_the_newest_time_recorded(tmp_path: Path) -> None:
    wallet, clock = holding(tmp_path)
    [card] = wallet.credentials()
    wallet.put(replace(card, checked_at=NOW + 3600))  # checked on the ledger an hour later
    clock.now = NOW + 3600 - CLOCK_SLACK_SECONDS - 1
    assert wallet.clock_behind() == NOW + 3600
    clock.now = NOW - DAY
    assert wallet.clock_behind() == NOW + 3600
    wallet.close()


@pytest.mark.asyncio
async def test_the_cards_screen_says_the_clock_is_behind(tmp_path: Path) -> None:
    wallet, clock = holding(tmp_path)
    clock.now = NOW - DAY
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CardsScreen)
        line = app.screen.query_one("#clock-line", Label)
        assert line.display
        said = str(line.render())
        assert f"clock reads {when(NOW - DAY)}, before {when(NOW)}" in said
        assert "set the clock right" in said
        clock.now = NOW + 60  # set right
        app.screen.reload()
        await pilot.pause()
        assert not line.display
    wallet.close()


@pytest.mark.asyncio
async def test_a_right_clock_says_nothing(tmp_path: Path) -> None:
    wallet, _ = holding(tmp_path)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#clock-line", Label).display
    wallet.close()
