"""A card no desk accepts (revoked, suspended, expired) says what to do: when it would answer
a desk, the message names every such card (in the plural when there are several) and the
advice is to ask the agency, not "note the code"; its details say what its status means."""

from __future__ import annotations

import pytest

from civicid.status_list import STATUS_INVALID
from tests.wallet.painted import painted
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_app import fill, settle
from tests.wallet.world import LedgerWorld
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.cards import CardsScreen
from wallet.screens.details import DetailsScreen
from wallet.screens.error import ErrorModal

pytestmark = pytest.mark.asyncio


async def test_two_revoked_cards_none_shown_ask_the_agency(
    citizen: Wallet, issuer_stub: RogueIssuer, desk_stub: RogueDesk, ledger_world: LedgerWorld
) -> None:
    citizen.receive(issuer_stub.offer(), TX_CODE)
    held = citizen.credentials()
    assert len(held) == 2
    for card in held:
        index = card.copies[0].status_idx
        assert index is not None
        ledger_world.status_list.set(index, STATUS_INVALID)
    ledger_world.publish()
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        await fill(pilot, "#link", desk_stub.link(), submit=True)
        assert isinstance(app.screen, ErrorModal)
        error = app.screen.error
        assert error.code == "wallet_credential_revoked"
        assert error.message.count("was revoked by its issuer") == 2
        assert "none of them can be shown" in error.message
        assert "it cannot be shown" not in error.message
        advice = str(app.screen.query_one(".todo").render())
        assert "ask the agency that issued it for a new one" in advice
        assert "note the code" not in advice
        await pilot.press("enter", "escape")
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        shown = " ".join(" ".join(painted(app)[1]).split())
        assert "✘ revoked" in shown
        assert "Status Revoked by the agency that issued it: every desk refuses it." in shown
    assert desk_stub.behaviour.received == []


async def test_a_valid_card_has_no_status_line(citizen: Wallet) -> None:
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        shown = " ".join(" ".join(painted(app)[1]).split())
        assert "✔ valid" in shown and "Status " not in shown
