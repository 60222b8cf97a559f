"""Revocation, suspension and reinstatement as verifiers see them on the ledger; publication
batched, on demand, on a timer, and through a ledger outage; random indexes; new lists."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from civicid.jose import PrivateKey
from civicid.ledger_client import LedgerClient
from civicid.oid4vci import build_proof_jwt
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from cli.harness import free_port
from issuer.records import Issued
from issuer.settings import ConfigurationSettings
from tests.issuer.conftest import (
    CONFIG,
    NATIONAL_ID,
    Clock,
    Env,
    LedgerWorld,
    make_env,
    refused,
)
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem


def issue(env: Env, record: str = "REG-1", copies: int = 1) -> Issued:
    token = redeem(env, offer(env, record=record))
    env.issuer.credential_request(
        token, credential_request([good_proof(env) for _ in range(copies)])
    )
    found = env.issuer.credentials(record=record, status=None, limit=1, offset=0)
    return found[0]


def on_ledger(env: Env, issued: Issued) -> set[int]:
    """The statuses verifiers read for every copy, from the ledger with proofs."""
    uris = env.issuer.list_uris()
    return {env.world.client.status_list(uris[n]).status(i) for n, i in issued.slots}


def test_revoke_is_visible_on_the_ledger_after_publish(env: Env) -> None:
    issued = issue(env, copies=3)
    assert on_ledger(env, issued) == {STATUS_VALID}
    env.issuer.set_status(env.clerk(), issued.id, "revoke")
    assert on_ledger(env, issued) == {STATUS_VALID}  # recorded, not yet published
    assert env.issuer.lists.pending() == 1
    published = env.issuer.publish("alice")
    assert [r.number for r in published] == [1]
    assert on_ledger(env, issued) == {STATUS_INVALID}
    assert env.issuer.lists.pending() == 0
    assert env.issuer.credential(issued.id).status == STATUS_INVALID


def test_suspend_then_reinstate(env: Env) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "suspend")
    env.issuer.publish()
    assert on_ledger(env, issued) == {STATUS_SUSPENDED}
    env.issuer.set_status(env.clerk(), issued.id, "reinstate")
    env.issuer.publish()
    assert on_ledger(env, issued) == {STATUS_VALID}


@pytest.mark.parametrize(
    ("first", "then"),
    [("revoke", "revoke"), ("revoke", "reinstate"), ("revoke", "suspend"), (None, "reinstate")],
)
def test_status_changes_that_make_no_sense(env: Env, first: str | None, then: str) -> None:
    issued = issue(env)
    if first:
        env.issuer.set_status(env.clerk(), issued.id, first)
    refused(
        env,
        lambda: env.issuer.set_status(env.clerk(), issued.id, then),
        ("credential_status_conflict"),
    )


def test_revoking_a_credential_that_does_not_exist(env: Env) -> None:
    refused(
        env,
        lambda: env.issuer.set_status(env.clerk(), "no-such-id", "revoke"),
        ("credential_not_found"),
    )
    action, outcome = (
        env.issuer.audit(limit=500)[-1].action,
        env.issuer.audit(limit=500)[-1].outcome,
    )
    assert (action, outcome) == ("credential.revoke", "credential_not_found")


def test_ledger_down_change_kept_and_published_later(env: Env) -> None:
    issued = issue(env)
    view = env.issuer.ledger
    real = view.client
    view.client = LedgerClient(f"http://127.0.0.1:{free_port()}", env.world.vkey, timeout=2)
    try:
        env.issuer.set_status(env.clerk(), issued.id, "revoke")  # works without the ledger
        with pytest.raises(Exception) as caught:
            env.issuer.publish("alice")
        assert getattr(caught.value, "code", None) == "http_unreachable"
        assert env.issuer.lists.pending() == 1  # the change is kept
        failed = env.issuer.audit(limit=500)[-1]
        assert (failed.action, failed.outcome) == ("status.publish", "http_unreachable")
    finally:
        view.client.close()
        view.client = real
    env.issuer.publish("system")
    assert on_ledger(env, issued) == {STATUS_INVALID}


def test_the_change_survives_a_restart_before_publication(env: Env) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "suspend")
    issuer = env.reopen()
    assert issuer.lists.pending() >= 1  # after a restart every list is republished once
    issuer.publish()
    assert on_ledger(env, issued) == {STATUS_SUSPENDED}


def test_background_publication(env: Env) -> None:
    issued = issue(env)
    env.issuer.publish()
    env.issuer.set_status(env.clerk(), issued.id, "revoke")
    stop = threading.Event()
    worker = threading.Thread(target=env.issuer.run_background, args=(stop,), daemon=True)
    worker.start()
    try:
        env.issuer.publish_wanted.set()  # the timer's tick, without waiting for it
        deadline = time.monotonic() + 20
        while env.issuer.lists.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        env.issuer.publish_wanted.set()
        worker.join(10)
    assert on_ledger(env, issued) == {STATUS_INVALID}


def test_unchanged_list_republished_before_its_ttl(env: Env) -> None:
    assert env.issuer.lists.due(env.clock(), env.settings.status_ttl) == []
    env.clock.offset = env.settings.status_ttl // 2
    due = env.issuer.lists.due(env.clock(), env.settings.status_ttl)
    assert [s.number for s in due] == [1]


def test_indexes_are_random_and_never_reused(env: Env) -> None:
    issued = [issue(env, record=f"REG-{i}", copies=3) for i in range(6)]
    slots = [s for i in issued for s in i.slots]
    assert len(set(slots)) == len(slots) == 18
    indexes = [i for _, i in slots]
    assert sorted(indexes) != list(range(min(indexes), min(indexes) + 18))  # not sequential


def test_new_list_when_one_is_80_percent_used(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock
) -> None:
    env = make_env(
        tmp_path,
        ledger_world,
        clock,
        status_list_size=16,
        configurations=[ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3)],
    )
    try:
        issued = [issue(env, record=f"REG-{i}", copies=3) for i in range(6)]
        slots = [s for i in issued for s in i.slots]
        first = [idx for n, idx in slots if n == 1]
        assert len(first) == 13  # 80% of 16, rounded up: then list 2
        assert {n for n, _ in slots} == {1, 2}
        assert env.issuer.publish_wanted.is_set()  # list 2 must reach the ledger soon
        env.issuer.publish()
        assert on_ledger(env, issued[-1]) == {STATUS_VALID}
        reopened = env.reopen()
        assert reopened.lists.lists[1].allocator.allocated == 13  # rebuilt from the store
    finally:
        env.issuer.close()


def test_key_rotation_is_picked_up_from_the_key_store(env: Env) -> None:
    """``civicid ledger rotate`` puts the new key in the key store: the issuer signs with it
    once it is in force, and an issuer left with a key that is not refuses to sign."""
    from civicid.keystore import KeyStore
    from civicid.status_list import STATUS_SUSPENDED
    from tests.issuer.holder import check_credential

    issued = issue(env)
    agency = env.agency
    head = env.world.client.resolve(agency.did).metadata["versionId"]
    rotated, update = agency.rotate(head, ledger=env.world.origin)
    env.world.client.submit(update)
    KeyStore(env.data_dir / "keys").put("agency", rotated.to_json(), overwrite=True)
    env.issuer.ledger.forget()  # as once accreditation_ttl has passed: the key is checked again
    holder_key = PrivateKey.generate()
    token = redeem(env, offer(env, record="REG-R"))
    now = env.clock()
    proof = build_proof_jwt(
        holder_key, aud=env.settings.public_url, nonce=env.issuer.nonce().c_nonce, iat=now
    )
    response = env.issuer.credential_request(token, credential_request([proof]))
    assert response.credentials is not None
    credential = str(response.credentials[0].credential)
    verified = check_credential(credential, rotated.key.public, holder_key, now)
    assert verified.header["kid"] == rotated.kid != agency.kid
    env.issuer.set_status(env.clerk(), issued.id, "suspend")
    env.issuer.publish()  # the list token is signed with the new key, and the ledger takes it
    assert on_ledger(env, issued) == {STATUS_SUSPENDED}
    # A key store still holding a spent key: refused before anything is signed.
    KeyStore(env.data_dir / "keys").put("agency", agency.to_json(), overwrite=True)
    env.issuer.ledger.identity = agency
    env.issuer.ledger.forget()
    token = redeem(env, offer(env, record="REG-S"))
    request = credential_request([good_proof(env)])
    refused(env, lambda: env.issuer.credential_request(token, request), "issuer_key_not_in_force")
