"""Attack of time: a card revoked or suspended on the ledger since the wallet last looked.
Before presenting, the wallet reads the card's status again; a revoked or suspended card is
not sent, the message says why (not "no credential answers"), and when no card could be
shown at all the desk's request (served once) is not even fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED
from tests.wallet.conftest import PASSPHRASE, Citizen, made_up
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import refused
from tests.wallet.world import LedgerWorld
from wallet.holder.credentials import REVOKED
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings


def mark(world: LedgerWorld, holder: Wallet, value: int) -> None:
    """The issuer sets one copy of the held card to ``value`` on the ledger; the wallet
    still has it stored as valid."""
    [held] = [c for c in holder.credentials() if c.copies[0].status_idx is not None]
    index = held.copies[0].status_idx
    assert index is not None
    world.status_list.set(index, value)
    world.publish()


def refused_with(code: str, action: object) -> Error:
    assert callable(action)
    with pytest.raises(Error) as info:
        action()
    assert info.value.code == code, info.value
    return info.value


@pytest.mark.parametrize(
    "value, code, word",
    [
        (STATUS_INVALID, "wallet_credential_revoked", "revoked"),
        (STATUS_SUSPENDED, "wallet_credential_suspended", "suspended"),
    ],
)
def test_a_card_changed_on_the_ledger_is_not_sent_and_the_request_not_fetched(
    citizen: Wallet,
    desk_stub: RogueDesk,
    ledger_world: LedgerWorld,
    value: int,
    code: str,
    word: str,
) -> None:
    mark(ledger_world, citizen, value)
    link = desk_stub.link()
    error = refused_with(code, lambda: citizen.prepare(link))
    assert word in error.message and "National ID" in error.message
    assert "nothing was asked of the desk" in error.message
    assert len(desk_stub.objects) == 1  # the request is still there for another wallet
    assert desk_stub.behaviour.received == [] and citizen.history() == []


def test_a_card_revoked_after_consent_is_not_sent(
    citizen: Wallet, desk_stub: RogueDesk, ledger_world: LedgerWorld
) -> None:
    plan = citizen.prepare(desk_stub.link())
    mark(ledger_world, citizen, STATUS_INVALID)  # while the citizen read the plan
    error = refused_with("wallet_credential_revoked", lambda: citizen.present(plan))
    assert "nothing was sent to the desk" in error.message
    assert desk_stub.behaviour.received == [] and citizen.history() == []
    [held] = citizen.credentials()
    assert held.status(plan.prepared_at) == REVOKED  # and the wallet now knows it


def test_when_only_a_revoked_card_answers_the_message_says_so(
    citizen: Wallet, desk_stub: RogueDesk, ledger_world: LedgerWorld
) -> None:
    citizen.add(made_up())  # a usable card, but not one that answers this desk
    mark(ledger_world, citizen, STATUS_INVALID)
    error = refused_with("wallet_credential_revoked", lambda: citizen.prepare(desk_stub.link()))
    assert "revoked" in error.message and "no credential" not in error.message
    assert desk_stub.behaviour.received == []


def test_the_command_line_says_why_and_lists_the_status_age(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    issuer_stub: RogueIssuer,
    desk_stub: RogueDesk,
) -> None:
    person = Citizen(tmp_path / "citizen", ledger_world)
    person.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    person.run("receive", issuer_stub.offer(), "--tx-code", TX_CODE, "--yes")
    assert "checked" in person.run("list").stdout  # how old the status shown is
    [card] = person.json("list")
    with Wallet.open(WalletSettings.load(person.root), PASSPHRASE) as opened:
        mark(ledger_world, opened, STATUS_INVALID)
    result = person.run("present", desk_stub.link(), "--yes", ok=False)
    refused(result, "wallet_credential_revoked")
    assert "revoked by its issuer" in result.stderr
    assert person.json("list")[0]["status"] == "revoked" and card["status"] == "valid"
