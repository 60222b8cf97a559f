"""Tab goes from field to field and button to button on every form (answer a desk, receive a
credential, ask by a rule, first run, settings), never to the pane that holds them: a focused
pane showed no mark and Enter did nothing there, so a person who tabbed on from "Send" was
left on nothing visible. Coming round to the first field again shows the form's title, not a
form scrolled so that the field is centred under nothing. Settings opens with nothing
focused (no field is typed into unasked)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget

from tests.wallet.conftest import fast_settings
from tests.wallet.test_snapshots import national_id, plan_for, snapshot_wallet
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.access import FirstRunScreen
from wallet.screens.apply import ApplyScreen
from wallet.screens.present import PresentScreen
from wallet.screens.receive import ReceiveScreen
from wallet.screens.settings import SettingsScreen

STOPS = 12  # more Tab presses than any of these forms has fields and buttons


def present_with_plan(wallet: Wallet) -> Screen[None]:
    screen = PresentScreen(wallet)
    screen.call_after_refresh(screen.show_plan, plan_for(national_id()))
    return screen


SCREENS: dict[str, Callable[[Wallet], Screen[Any]]] = {
    "present": present_with_plan,
    "receive": ReceiveScreen,
    "apply": ApplyScreen,
    "first run": lambda wallet: FirstRunScreen(wallet.settings),
    "settings": SettingsScreen,
}


async def tab_stops(app: WalletApp, make: Callable[[Wallet], Screen[Any]]) -> list[Widget]:
    stops: list[Widget] = []
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.wallet is not None
        await app.push_screen(make(app.wallet))
        await pilot.pause()
        for _ in range(STOPS):
            await pilot.press("tab")
            await pilot.pause()
            assert app.focused is not None
            stops.append(app.focused)
    return stops


@pytest.mark.parametrize("name", SCREENS)
def test_tab_stops_only_at_fields_and_buttons(name: str, tmp_path: Path) -> None:
    wallet = snapshot_wallet(tmp_path / "data")
    app = WalletApp(fast_settings(tmp_path / "data"), wallet=wallet)
    stops = asyncio.run(tab_stops(app, SCREENS[name]))
    panes = [w for w in stops if isinstance(w, VerticalScroll)]
    assert panes == [], f"Tab stopped on {panes[0]!r}"


async def round_to_the_first_field(app: WalletApp, make: Callable[[Wallet], Screen[Any]]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.wallet is not None
        await app.push_screen(make(app.wallet))
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, SettingsScreen):
            assert app.focused is None  # nothing typed into unasked
        chain = screen.focus_chain
        await pilot.press("tab")  # to the first field, or the next one
        for _ in range(len(chain) * 2):  # round past the last button to the first field
            await pilot.press("tab")
            await pilot.pause()
            if app.focused is chain[0]:
                break
        assert app.focused is chain[0]
        await pilot.pause(0.2)
        title = screen.query_one(".title")
        pane = screen.query_one(".form")
        assert pane.max_scroll_y > 0  # the form is longer than the screen: it did scroll
        assert pane.scroll_y == 0, "the title is scrolled out of view"
        assert title.region.y >= 0 and screen.region.contains_region(title.region)


@pytest.mark.parametrize("name", ["first run", "settings"])
def test_tab_round_to_the_first_field_shows_the_title(name: str, tmp_path: Path) -> None:
    wallet = snapshot_wallet(tmp_path / "data")
    app = WalletApp(fast_settings(tmp_path / "data"), wallet=wallet)
    asyncio.run(round_to_the_first_field(app, SCREENS[name]))
