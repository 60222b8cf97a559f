"""Enter pressed again in the present screen's link field, on the link whose request is shown:
a desk serves its request once, so the wallet does not fetch it again (the desk would refuse,
``request_already_fetched``, over the request in front of the citizen); the request shown
stays, Send is focused, and sending still works. Another link is checked as before, and can
be sent from the same screen."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.test_app import SIZE, fill, settle
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.present import PresentScreen

pytestmark = pytest.mark.asyncio


async def test_enter_again_on_the_link_shown_keeps_its_request(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    app = WalletApp(citizen.settings, wallet=citizen)
    link = desk_stub.link()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, PresentScreen)
        await fill(pilot, "#link", link, submit=True)
        assert screen.plan is not None
        await fill(pilot, "#link", link, submit=True)  # Enter again on the same link
        assert app.screen is screen  # no error over it
        assert app.focused is screen.query_one("#send", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert "✔ Eligible" in str(screen.query_one("#decision").render())
        # After the answer, Enter on it again asks the desk nothing either.
        await fill(pilot, "#link", link, submit=True)
        assert app.screen is screen
        # Another link is another request: checked.
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        assert app.screen is screen and screen.query_one("#actions").display
        assert not screen.query_one("#send", Button).disabled
        await pilot.click("#send")
        await settle(pilot)
        assert "✔ Eligible" in str(screen.query_one("#decision").render())
    assert len(desk_stub.behaviour.received) == 2
