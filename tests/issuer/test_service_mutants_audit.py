"""What the audit log records of each staff step, member by member: who made an offer, for
which record, of which configuration and whether it has a transaction code; who changed a
credential's status, from what to what; what each publication put on the ledger (its
sequence number there, the list's version); how each try at a pre-authorized code ended."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from issuer.errors import OFFER_LOCKED, TX_CODE_WRONG
from issuer.offers import MAX_TX_CODE_ATTEMPTS
from issuer.records import AuditEvent
from issuer.service import WALLET
from tests.issuer.conftest import CONFIG, Env
from tests.issuer.test_bad_input import offer, token_request
from tests.issuer.test_status import issue


def last(env: Env) -> AuditEvent:
    return env.issuer.audit(limit=500)[-1]


def test_an_offer_made_is_audited_with_its_configuration_and_whether_it_has_a_code(
    env: Env,
) -> None:
    for tx_code in (True, False):
        created = offer(env, record="REG-5", tx_code=tx_code)
        event = last(env)
        assert (event.actor, event.action, event.subject, event.record, event.outcome) == (
            "alice",
            "offer.create",
            created.offer.id,
            "REG-5",
            "ok",
        )
        assert event.detail == {"configuration": CONFIG, "txCode": tx_code}


def test_a_status_change_is_audited_from_what_to_what(env: Env) -> None:
    issued = issue(env, record="REG-6")
    steps = [("suspend", "valid", "suspended"), ("reinstate", "suspended", "valid")]
    steps.append(("revoke", "valid", "revoked"))
    for action, before, after in steps:
        env.issuer.set_status(env.clerk(), issued.id, action)
        event = last(env)
        assert (event.actor, event.action, event.subject, event.record, event.outcome) == (
            "alice",
            f"credential.{action}",
            issued.id,
            "REG-6",
            "ok",
        )
        assert event.detail == {"from": before, "to": after}


def test_a_publication_is_audited_with_its_place_on_the_ledger_and_the_list_version(
    env: Env,
) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "revoke")
    [number] = {n for n, _ in issued.slots}
    version = env.issuer.lists.lists[number].version
    [record] = env.issuer.publish(actor="alice")
    event = last(env)
    assert (event.actor, event.action, event.subject, event.outcome) == (
        "alice",
        "status.publish",
        record.uri,
        "ok",
    )
    assert record.published_seq is not None
    assert event.detail == {"seq": record.published_seq, "version": version}


def test_each_try_at_a_code_is_audited_with_how_it_ended(env: Env) -> None:
    created = offer(env, record="REG-8")
    assert created.tx_code is not None
    wrong = "".join("1" if c == "0" else "0" for c in created.tx_code)
    outcomes = [TX_CODE_WRONG.name] * (MAX_TX_CODE_ATTEMPTS - 1) + [OFFER_LOCKED.name]
    for outcome in outcomes:
        with pytest.raises(Error) as caught:
            env.issuer.token(token_request(created, wrong))
        assert caught.value.code == outcome
        event = last(env)
        assert (event.actor, event.action, event.subject, event.record, event.outcome) == (
            WALLET,
            "token.issue",
            created.offer.id,
            "REG-8",
            outcome,
        )

    other = offer(env, record="REG-8")
    env.issuer.token(token_request(other, other.tx_code))
    assert (last(env).action, last(env).subject, last(env).outcome) == (
        "token.issue",
        other.offer.id,
        "ok",
    )
