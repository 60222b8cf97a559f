"""Before sending, the present screen says what of the card the desk does not ask for, in
the card's words: none of it is sent ("not sent: name, birth date, address", as the demo
tells it). The citizen sees what answering leaves out, not only what it sends."""

from __future__ import annotations

import pytest
from textual.widgets import Label

from tests.wallet.painted import painted
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.test_app import SIZE, fill
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.present import PresentScreen

pytestmark = pytest.mark.asyncio


async def test_the_claims_not_asked_are_named_as_not_sent(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    # The desk asks for the given name and residence of a card holding more.
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, PresentScreen)
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        said = str(screen.query_one(".not-asked", Label).render())
    # In the order the card's details list them.
    assert said == (
        "Not sent (the desk does not ask): Family name, Date of birth, Nationalities, Age, Address"
    )


async def test_the_line_wraps_at_80_columns(citizen: Wallet, desk_stub: RogueDesk) -> None:
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        label = app.screen.query_one(".not-asked", Label)
        label.scroll_visible(animate=False)
        await pilot.pause()
        lines = [line.rstrip().rstrip("▁▂▃▄▅▆▇█") for line in painted(app)[1]]
    shown = " ".join(" ".join(line.split()) for line in lines)
    assert "Nationalities, Age, Address" in shown, shown  # its end on screen too
