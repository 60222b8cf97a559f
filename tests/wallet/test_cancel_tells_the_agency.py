"""A citizen who says no to an agency's request by its rule (the app's Cancel or Escape, the
command's "Send this?" answered no) tells the agency (OpenID4VP §8.5: ``access_denied`` with
the request's state), as a desk's request is told: the agency's rule desk stopped waiting only
when the request expired. Whether it could be told is said; nothing is sent or stored either
way. ``apply --json`` carries the plan the text form shows."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from textual.widgets import Button, Label

from civicid.errors import EXIT_REFUSED, Error
from cli.demo_rules import RULE
from cli.harness import free_port, serving
from tests.wallet.conftest import TX_CODE, Citizen
from tests.wallet.rogue_issuer import RogueIssuer
from tests.wallet.test_app import SIZE
from tests.wallet.test_apply_by_rule import settle
from tests.wallet.test_cli import refused
from tests.wallet.test_rule_answered_with_another_offer import (  # noqa: F401 (fixtures)
    SENIOR_CLAIMS,
    RuleDesk,
    ledger_world,
    senior,
)
from tests.wallet.world import LedgerWorld
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.apply import ApplyScreen


@pytest.fixture
def agency(ledger_world: LedgerWorld, issuer_stub: RogueIssuer) -> Iterator[RuleDesk]:  # noqa: F811
    desk = RuleDesk(ledger_world.agency, issuer_stub.offer(tx_code=False))
    with serving(desk.app(), free_port()) as url:
        desk.url = url
        yield desk


@pytest.fixture
def senior_person(person: Citizen, issuer_stub: RogueIssuer) -> Citizen:
    """The command line's citizen, holding a national ID of a resident aged 65 or over."""
    issuer_stub.behaviour.claims = dict(SENIOR_CLAIMS)
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    return person


def test_a_declined_rule_request_is_told_to_the_agency(
    senior: Wallet,  # noqa: F811
    agency: RuleDesk,
) -> None:
    plan = senior.prepare_apply(agency.url, RULE)
    history = senior.history()
    assert senior.decline(plan) is True
    assert agency.declined == [(plan.request.state, "access_denied")]
    assert senior.history() == history


def test_the_command_s_no_tells_the_agency(
    senior_person: Citizen, agency: RuleDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: True)  # "Send this?" is asked
    said = senior_person.run("apply", agency.url, RULE, ok=False, input="n\n")
    refused(said, "wallet_declined")
    assert "the agency was told you declined" in said.stderr
    assert [error for _, error in agency.declined] == ["access_denied"]
    assert senior_person.json("history") == []


def test_an_agency_that_cannot_be_told_is_said_so(
    senior_person: Citizen, agency: RuleDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: True)
    agency.gone = True
    said = senior_person.run("apply", agency.url, RULE, ok=False, input="n\n")
    refused(said, "wallet_declined")
    assert "the agency could not be told (its request waits until the request expires)" in (
        said.stderr
    )
    assert senior_person.json("history") == []


def test_json_carries_the_plan_the_text_shows(
    senior_person: Citizen, agency: RuleDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Asked at a terminal, the plan is read (on stderr) before the question, JSON or not.
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: True)
    said = senior_person.run("apply", agency.url, RULE, "--json", ok=False, input="n\n")
    assert said.stderr.index("would share") < said.stderr.index("Send this?")
    answer = json.loads(said.stdout.splitlines()[-1])  # after the answer typed, echoed
    assert answer["error"] == "wallet_declined" and answer["details"]["told"] is True
    plan = answer["details"]["plan"]
    assert plan["agency_did"] == agency.signer.did and plan["rule"] == RULE
    assert plan["version"] == 1 and plan["purpose"]
    assert plan["card"]["title"] == "National ID" and plan["unmet"] is None
    assert plan["claims"] == ["given_name", "family_name", "resident", "age_equal_or_over.65"]
    # --yes is the script's consent: what was agreed to is in the answer.
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: False)
    agency.issues = False
    sent = senior_person.run("apply", agency.url, RULE, "--json", "--yes", ok=False)
    assert sent.exit_code == EXIT_REFUSED
    answer = json.loads(sent.stdout)
    assert answer["plan"]["claims"] == plan["claims"]
    assert answer["plan"]["card"] == plan["card"]
    assert answer["issued"] == [] and answer["code"] == "predicate_failed"


@pytest.mark.asyncio
@pytest.mark.parametrize("way", ["cancel", "escape"])
async def test_the_app_s_cancel_tells_the_agency(
    senior: Wallet,  # noqa: F811
    agency: RuleDesk,
    way: str,
) -> None:
    app = WalletApp(senior.settings, wallet=senior)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApplyScreen)
        screen.query_one("#issuer").value = agency.url  # type: ignore[attr-defined]
        screen.query_one("#rule").value = RULE  # type: ignore[attr-defined]
        screen.query_one("#ask", Button).press()
        await settle(pilot)
        assert screen.query_one("#actions").display
        state = screen.plan.request.state if screen.plan else None
        if way == "cancel":
            screen.query_one("#cancel", Button).press()
        else:
            await pilot.press("escape")
        await settle(pilot)
        if way == "cancel":
            said = str(screen.query_one("#progress", Label).render())
            assert said == "Nothing was sent. The agency was told you said no."
            assert screen.focused is screen.query_one("#ask")
    assert agency.declined == [(state, "access_denied")]
    assert senior.history() == []


def test_no_card_that_answers_is_told_as_a_decline(holder: Wallet, agency: RuleDesk) -> None:
    with pytest.raises(Error) as info:
        holder.prepare_apply(agency.url, RULE)
    assert info.value.code == "wallet_no_match"
    assert [error for _, error in agency.declined] == ["access_denied"]
