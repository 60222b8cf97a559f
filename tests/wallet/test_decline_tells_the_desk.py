"""A wallet that will send nothing tells the desk (OpenID4VP §8.5, ``access_denied`` with the
request's state), so the desk's page stops waiting for it: when the citizen declines (the
app's Decline, the command's "no") and when no card answers the request. The desk hears the
same in both cases; nothing is sent or stored."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Label

from tests.wallet.conftest import Citizen
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_app import SIZE, fill, settle
from tests.wallet.test_cli import refused
from tests.wallet.test_issuance import unchanged
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.present import PresentScreen


def test_a_decline_is_told_to_the_desk(citizen: Wallet, desk_stub: RogueDesk) -> None:
    plan = citizen.prepare(desk_stub.link())
    history = citizen.history()
    assert citizen.decline(plan) is True
    assert desk_stub.behaviour.declined == [(plan.request.state, "access_denied")]
    assert desk_stub.behaviour.received == [] and citizen.history() == history


def test_a_desk_that_cannot_be_told_is_said_so(citizen: Wallet, desk_stub: RogueDesk) -> None:
    plan = citizen.prepare(desk_stub.link())
    desk_stub.requests.clear()  # the desk no longer knows the request: its answer fails
    assert citizen.decline(plan) is False


def test_no_card_that_answers_is_told_as_a_decline(citizen: Wallet, desk_stub: RogueDesk) -> None:
    desk_stub.behaviour.required = ["given_name", "passport_number"]
    link = desk_stub.link()
    [state] = desk_stub.requests
    unchanged(citizen, "wallet_no_match", lambda: citizen.prepare(link))
    assert desk_stub.behaviour.declined == [(state, "access_denied")]


def test_the_command_tells_the_desk_when_the_citizen_says_no(
    person: Citizen, issuer_stub: RogueIssuer, desk_stub: RogueDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: True)  # "Send this?" is asked
    link = desk_stub.link()
    [state] = desk_stub.requests
    said = person.run("present", link, ok=False, input="n\n")
    refused(said, "wallet_declined")
    assert "the desk was told you declined" in said.stderr
    assert desk_stub.behaviour.declined == [(state, "access_denied")]
    assert desk_stub.behaviour.received == []


@pytest.mark.asyncio
async def test_the_apps_decline_tells_the_desk(citizen: Wallet, desk_stub: RogueDesk) -> None:
    app = WalletApp(citizen.settings, wallet=citizen)
    link = desk_stub.link()
    [state] = desk_stub.requests
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, PresentScreen)
        await fill(pilot, "#link", link, submit=True)
        app.screen.query_one("#decline", Button).press()
        await settle(pilot)
        said = str(app.screen.query_one("#decision").render())
        assert "Declined: nothing was shared" in said
        assert "The desk was told that nothing will come." in said
        # Beside each claim too: "required · sent" under "Declined" read as if it went.
        marks = [str(m.render()) for m in app.screen.query(".claim-mark").results(Label)]
        assert marks and all(m.endswith("· not sent") for m in marks), marks
        assert not app.screen.query_one("#actions").display
    assert desk_stub.behaviour.declined == [(state, "access_denied")]
    assert desk_stub.behaviour.received == []


@pytest.mark.asyncio
async def test_back_from_a_request_shown_tells_the_desk(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    """Escape is how most leave: the desk serves its request once, so nobody comes back to
    it, and its page waited until the request expired."""
    app = WalletApp(citizen.settings, wallet=citizen)
    link = desk_stub.link()
    [state] = desk_stub.requests
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await fill(pilot, "#link", link, submit=True)
        assert isinstance(app.screen, PresentScreen) and app.screen.plan is not None
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, PresentScreen)
    assert desk_stub.behaviour.declined == [(state, "access_denied")]
    assert desk_stub.behaviour.received == []


@pytest.mark.asyncio
async def test_back_before_any_request_tells_nobody(citizen: Wallet, desk_stub: RogueDesk) -> None:
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, PresentScreen)
    assert desk_stub.behaviour.declined == []
