"""What `u` (update from the ledger) says: nothing to check in an empty wallet (it said
"Statuses updated from the ledger: 0 changed." without asking anything), how many cards
changed, and status lists that could not be read, in words (not "1 list(s) unreadable")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wallet.conftest import PASSPHRASE, fast_settings, made_up
from tests.wallet.test_app import SIZE, settle
from wallet.app import WalletApp
from wallet.holder.status import Refreshed
from wallet.holder.wallet import Wallet
from wallet.screens.cards import refreshed_words

CARD = made_up()
OTHER = made_up()
LIST = "https://agency.example/status/1"


@pytest.mark.parametrize(
    ("report", "said"),
    [
        (Refreshed(()), "No credentials to check yet. Press r to receive one."),
        (Refreshed((CARD,)), "Statuses checked on the ledger: none changed."),
        (
            Refreshed((CARD, OTHER), changed=(CARD.id,)),
            "Statuses checked on the ledger: 1 card changed (see its badge).",
        ),
        (
            Refreshed((CARD, OTHER), changed=(CARD.id, OTHER.id)),
            "Statuses checked on the ledger: 2 cards changed (see their badges).",
        ),
        (
            Refreshed((CARD,), failures={LIST: "http_unreachable"}),
            "Statuses checked on the ledger: none changed. 1 status list could not be read: "
            "their cards keep the status last read.",
        ),
        (
            Refreshed((CARD,), failures={LIST: "http_unreachable", LIST + "2": "x_y"}),
            "Statuses checked on the ledger: none changed. 2 status lists could not be read: "
            "their cards keep the status last read.",
        ),
    ],
)
def test_what_an_update_found(report: Refreshed, said: str) -> None:
    assert refreshed_words(report) == said


async def updated(wallet: Wallet) -> str:
    """What the cards screen says once `u` is pressed."""
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await settle(pilot)
        return str(app.screen.query_one("#status-line").render())


@pytest.mark.asyncio
async def test_an_empty_wallet_says_there_is_nothing_to_check(tmp_path: Path) -> None:
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE) as wallet:
        said = await updated(wallet)
    assert said == "No credentials to check yet. Press r to receive one."


@pytest.mark.asyncio
async def test_a_card_read_again_from_the_ledger(citizen: Wallet) -> None:
    assert await updated(citizen) == "Statuses checked on the ledger: none changed."
