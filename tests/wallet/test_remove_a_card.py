"""A card no desk accepts any more (revoked, expired) stayed in the wallet for good: the app and
the command line can now remove a card, once the citizen confirms a question naming it. The
removal is written before it is said, and the history of what the card showed stays."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from textual.widgets import Label, OptionList

from tests.wallet.conftest import PASSPHRASE, Citizen, made_up
from tests.wallet.painted import painted
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_app import SIZE
from tests.wallet.test_cli import refused
from wallet.app import WalletApp
from wallet.holder.credentials import REVOKED, Credential
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.screens.cards import CardsScreen
from wallet.screens.details import DetailsScreen
from wallet.screens.error import ConfirmModal


def revoked(wallet: Wallet) -> Credential:
    """A revoked card the wallet holds, and one presentation it made before."""
    held = made_up()
    card = replace(held, copies=tuple(replace(c, status=REVOKED) for c in held.copies))
    wallet.add(card)
    other = made_up({"resident": True})
    wallet.add(replace(other, received_at=other.received_at + 1))  # listed after it
    wallet.record(
        Presentation(
            id="h1", at=1, verifier="did:civicid:x",
            client_id="decentralized_identifier:did:civicid:x", credential_id=card.id,
            copy_id=card.copies[0].id, vct=card.vct, disclosed=("given_name",),
        )
    )  # fmt: skip
    return card


@pytest.mark.asyncio
@pytest.mark.parametrize("answer", ["no", "yes"])
async def test_the_app_removes_a_card_once_confirmed(wallet: Wallet, answer: str) -> None:
    card = revoked(wallet)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the first card: the revoked one
        assert isinstance(app.screen, DetailsScreen) and app.screen.credential.id == card.id
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        said = " ".join(painted(app)[1])
        assert f"Remove your National ID ({card.id})?" in said
        assert "It is revoked: no desk accepts it." in said
        assert modal.focused is modal.query_one("#no")  # Enter keeps the card
        if answer == "no":
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailsScreen)
            assert card.id in [c.id for c in wallet.credentials()]
            return
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CardsScreen)
        line = str(app.screen.query_one("#status-line", Label).render())
        assert line == (
            f"Removed your National ID ({card.id}). The history of what it showed stays (h)."
        )
        assert app.screen.query_one("#cards", OptionList).option_count == 1
    assert card.id not in [c.id for c in wallet.credentials()]
    # Durable: another opening of the file finds it gone, the history as it was.
    wallet.close()
    with Wallet.open(wallet.settings, PASSPHRASE) as again:
        assert card.id not in [c.id for c in again.credentials()]
        assert [e.credential_id for e in again.history()] == [card.id]


@pytest.mark.asyncio
async def test_a_card_desks_accept_is_said_so_before_removing(wallet: Wallet) -> None:
    wallet.add(made_up())
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "x")
        await pilot.pause()
        assert "Desks still accept it" in " ".join(painted(app)[1])


@pytest.mark.asyncio
async def test_a_hostile_card_title_is_shown_inert_in_the_question(wallet: Wallet) -> None:
    wallet.add(replace(made_up(), type_name="[bold]ID[/bold] \x1b]52;c;ZXZpbA==\x07"))
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "x")
        await pilot.pause()
        said = " ".join(painted(app)[1])
        assert "Remove your [bold]ID[/bold] \\x1b]52;c;ZXZpbA==\\x07" in said


def test_the_command_removes_a_card_once_confirmed(
    person: Citizen, issuer_stub: RogueIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    [card] = person.json("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: True)  # the question is asked
    said = person.run("remove", card["id"][:6], ok=False, input="n\n")
    refused(said, "wallet_declined")
    assert f"Remove your National ID ({card['id']})?" in said.stderr
    assert "desks still accept it" in said.stderr
    assert [c["id"] for c in person.json("list")] == [card["id"]]
    said = person.run("remove", card["id"], input="y\n")
    assert f"removed {card['id']}  National ID; its history stays" in said.stdout
    assert person.json("list") == []
    refused(person.run("remove", card["id"], "--yes", ok=False), "wallet_credential_not_found")


def test_the_command_without_a_terminal_needs_yes(
    person: Citizen, issuer_stub: RogueIssuer
) -> None:
    [card] = person.json("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    refused(person.run("remove", card["id"], ok=False), "wallet_consent_needed")
    answer = json.loads(person.run("remove", card["id"], "--yes", "--json").stdout)
    assert answer["id"] == card["id"] and answer["removed"] is True
    assert person.json("list") == []
