"""A link the wallet refuses is selected once its message is closed, so the link pasted (or
typed) next replaces it. The refusal says "copy the whole link again"; pasted after the
refused text, the new link was refused in turn, for the text in front of it."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from tests.wallet.test_app import SIZE, fill, settle
from tests.wallet.test_wrong_link_says_what_it_is import OFFER, REQUEST
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal
from wallet.screens.present import PresentScreen
from wallet.screens.receive import ReceiveScreen

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("key", "screen", "link"),
    [("r", ReceiveScreen, OFFER), ("p", PresentScreen, REQUEST)],
    ids=["offer", "request"],
)
async def test_the_link_pasted_after_a_refused_one_replaces_it(
    wallet: Wallet, key: str, screen: type, link: str
) -> None:
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        assert isinstance(app.screen, screen)
        await fill(pilot, "#link", "hello there", submit=True)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_uri_invalid"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, screen)
        field = app.screen.query_one("#link", Input)
        assert app.focused is field
        field.post_message(events.Paste(link))
        await pilot.pause()
        assert field.value == link


async def test_a_key_typed_after_a_refused_link_starts_it_afresh(wallet: Wallet) -> None:
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await fill(pilot, "#link", "hello there", submit=True)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        assert app.screen.query_one("#link", Input).value == "o"
