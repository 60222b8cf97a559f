"""A card no desk accepts (revoked, suspended, expired) says what to do: when it would answer
a desk, the message names every such card (in the plural when there are several) and the
advice is to ask the agency, not "note the code"; its details say what its status means."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.status_list import STATUS_INVALID
from cli.main import app as civicid
from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings, made_up
from tests.wallet.painted import painted
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_app import fill, settle
from tests.wallet.world import LedgerWorld
from wallet.app import WalletApp
from wallet.holder.credentials import EXPIRED, REVOKED, SUSPENDED
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


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (REVOKED, "  Revoked by the agency that issued it: every desk refuses it."),
        (SUSPENDED, "  Suspended by the agency that issued it: desks refuse it until"),
        (EXPIRED, "  Expired: desks refuse it. Ask the agency that issued it for a new one."),
    ],
)
async def test_wallet_show_says_it_too(tmp_path: Path, status: str, said: str) -> None:
    settings = fast_settings(tmp_path / "data")
    held = made_up({"given_name": "Ada"}, copies=1)
    held = replace(held, copies=(replace(held.copies[0], status=status),))
    if status == EXPIRED:
        held = replace(held, expires_at=NOW - 60, copies=held.copies[:1])
    with Wallet.create(settings, PASSPHRASE) as wallet:
        wallet.add(held)
    result = CliRunner().invoke(
        civicid,
        ["wallet", "show", held.id, "--data-dir", str(settings.data_dir)],
        env={"CIVICID_WALLET_PASSPHRASE": PASSPHRASE},
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"[{status}," in lines[0]
    assert any(line.startswith(said) for line in lines), result.stdout
