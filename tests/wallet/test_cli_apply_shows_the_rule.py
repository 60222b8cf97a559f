"""`civicid wallet apply` says what the agency's rule asks of which card before it asks "Send
this?": it asked "Present what rule senior-transit asks for, as its agency's request says?"
with nothing of what that was, and presented whatever the rule asked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wallet.conftest import Citizen
from tests.wallet.test_apply_by_rule import AGENCY, plan
from tests.wallet.test_cli import refused
from wallet.holder.by_rule import Applied, RulePlan
from wallet.holder.wallet import Wallet


@pytest.fixture
def agency(monkeypatch: pytest.MonkeyPatch) -> list[RulePlan]:
    """The agency's request as the wallet checks it (``plan``), and what is sent to it."""
    sent: list[RulePlan] = []

    def send_apply(self: Wallet, checked: RulePlan) -> Any:
        sent.append(checked)
        return Applied(checked.version.name, 1, ())

    monkeypatch.setattr(Wallet, "prepare_apply", lambda self, i, r: plan("Not met: Age 65 or over"))
    monkeypatch.setattr(Wallet, "send_apply", send_apply)
    monkeypatch.setattr(Wallet, "decline", lambda self, checked: True)  # the agency told no
    monkeypatch.setattr("wallet.cli.has_terminal", lambda: True)  # "Send this?" is asked
    return sent


def test_what_would_be_shared_is_said_before_asking(
    person: Citizen, agency: list[RulePlan]
) -> None:
    said = person.run("apply", AGENCY, "senior-transit", ok=False, input="n\n")
    refused(said, "wallet_declined")
    assert agency == []
    text = said.stderr
    assert "agency Cadur transport (did:civicid:agency), by its rule senior-transit v1" in text
    assert "why: Free transport at 65" in text
    assert "would share, from National ID (" in text and "): given_name, family_name" in text
    assert "does not meet the rule (Not met: Age 65 or over)" in text
    assert text.index("would share") < text.index("Send this?")


def test_agreed_it_is_sent(person: Citizen, agency: list[RulePlan]) -> None:
    said = person.run("apply", AGENCY, "senior-transit", ok=False, input="y\n")
    assert len(agency) == 1 and "not issued by rule senior-transit v1" in said.stdout
