"""Tab goes from field to field and button to button on the forms that answer a desk, receive
a credential or ask by a rule, never to the pane that holds them: a focused pane showed no
mark and Enter did nothing there, so a person who tabbed on from "Send" was left on nothing
visible. (The first-run and settings forms keep their pane in the Tab order: it is where
their focus starts, with the form's head in view, and no field is typed into unasked.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget

from tests.wallet.conftest import fast_settings
from tests.wallet.test_snapshots import national_id, plan_for, snapshot_wallet
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.apply import ApplyScreen
from wallet.screens.present import PresentScreen
from wallet.screens.receive import ReceiveScreen

STOPS = 8  # more Tab presses than any of these forms has fields and buttons


def present_with_plan(wallet: Wallet) -> Screen[None]:
    screen = PresentScreen(wallet)
    screen.call_after_refresh(screen.show_plan, plan_for(national_id()))
    return screen


SCREENS: dict[str, Callable[[Wallet], Screen[None]]] = {
    "present": present_with_plan,
    "receive": ReceiveScreen,
    "apply": ApplyScreen,
}


async def tab_stops(app: WalletApp, make: Callable[[Wallet], Screen[None]]) -> list[Widget]:
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
