"""What the audit log records of each staff step, member by member: who made an offer, for
which record, of which configuration and whether it has a transaction code; who changed a
credential's status, from what to what; what each publication put on the ledger (its
sequence number there, the list's version)."""

from __future__ import annotations

from issuer.records import AuditEvent
from tests.issuer.conftest import CONFIG, Env
from tests.issuer.test_bad_input import offer
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
