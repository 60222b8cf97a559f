"""What the issuer writes down for each step besides its answer: an expired offer's claims
and code gone from the disk, each wallet step audited with the offer and record it was
about, and the latest status list token read from a shared store."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.http import HTTP_UNREACHABLE
from civicid.sdjwt_builder import decode_unverified
from issuer.errors import STORE_CONFLICT, STORE_FAILED
from issuer.service import MAX_CONFLICT_RETRIES, MAX_IDS_HINTED, WALLET
from tests.issuer.conftest import Clock, Env, LedgerWorld, make_env, sample_claims
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem
from tests.issuer.test_status import issue


def test_an_expired_offer_keeps_neither_its_claims_nor_its_code_on_disk(env: Env) -> None:
    created = offer(env)
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.code is not None and stored.claims is not None
    env.clock.offset = env.settings.offer_ttl + 1
    assert env.issuer.expire_offers() == 1
    expired = env.store.offer(created.offer.id)
    assert expired is not None
    assert (expired.claims, expired.code) == (None, None)
    assert expired.code_hash == stored.code_hash  # still found, to say "expired"


def test_each_wallet_step_is_audited_with_its_offer_and_record(env: Env) -> None:
    created = offer(env, record="REG-77")
    env.issuer.fetch_offer(created.offer.id)
    fetched = env.issuer.audit(limit=500)[-1]
    assert (fetched.actor, fetched.action, fetched.subject, fetched.record, fetched.outcome) == (
        WALLET,
        "offer.fetch",
        created.offer.id,
        "REG-77",
        "ok",
    )
    token = redeem(env, created)
    redeemed = env.issuer.audit(limit=500)[-1]
    assert (redeemed.action, redeemed.subject, redeemed.record) == (
        "token.issue",
        created.offer.id,
        "REG-77",
    )
    env.issuer.credential_request(token, credential_request([good_proof(env), good_proof(env)]))
    issued = env.issuer.audit(limit=500)[-1]
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.credential is not None
    assert (issued.actor, issued.action, issued.subject, issued.record) == (
        WALLET,
        "credential.issue",
        stored.credential,
        "REG-77",
    )
    assert issued.detail == {"offer": created.offer.id, "copies": 2}


def test_a_shared_store_has_no_token_for_a_list_never_published(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> None:
    env = make_env(tmp_path, ledger_world, clock, database_url=database_url)
    try:
        assert env.issuer.shared
        assert env.issuer.status_token(12345) is None
    finally:
        env.issuer.close()


def test_an_offer_no_longer_in_play_is_read_from_the_store(env: Env) -> None:
    created = offer(env)
    token = redeem(env, created)
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert created.offer.id not in env.issuer.offers.by_id  # issued: out of memory
    found = env.issuer.offer(created.offer.id)
    assert (found.id, found.state, found.record) == (created.offer.id, "issued", "REG-1")


def test_only_a_conflict_with_another_process_is_tried_again_and_only_so_often(env: Env) -> None:
    conflict = STORE_CONFLICT("another process changed it")
    assert env.issuer.retry_after(conflict, 0)
    assert env.issuer._stale_lists is True  # the next allocation reads the lists again
    assert env.issuer.retry_after(conflict, MAX_CONFLICT_RETRIES - 1)
    assert not env.issuer.retry_after(conflict, MAX_CONFLICT_RETRIES)
    env.issuer._stale_lists = False
    assert not env.issuer.retry_after(STORE_FAILED("the disk is full"), 0)
    assert env.issuer._stale_lists is False


def test_a_key_seen_lately_is_answered_without_argon2(env: Env) -> None:
    key = env.keys["alice"]
    first, _ = env.issuer.authorize_begin(key, ("issue",), "offer.create")
    assert first is None  # never seen: the caller runs Argon2 off its event loop
    env.issuer.authorize(key, ("issue",), "offer.create")
    clerk, done = env.issuer.authorize_begin(key, ("issue",), "offer.create")
    assert clerk is not None and clerk.name == "alice"
    assert done.done()


def test_every_claim_the_type_marks_always_is_disclosed_selectively(env: Env) -> None:
    created = offer(env)
    token = redeem(env, created)
    answer = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert answer.credentials is not None
    credential = answer.credentials[0].credential
    assert isinstance(credential, str)
    decoded = decode_unverified(credential)
    claims = sample_claims()
    for name in ("given_name", "family_name", "birthdate", "address", "nationalities"):
        assert name not in decoded.payload  # only its digest is signed
        assert decoded.claims[name] == claims[name]  # and its Disclosure restores it
    disclosed = {placed.path for placed in decoded.disclosures}
    assert {("address", "locality"), ("nationalities", 0)} <= disclosed


@contextlib.contextmanager
def background(env: Env) -> Iterator[None]:
    stop = threading.Event()
    worker = threading.Thread(target=env.issuer.run_background, args=(stop,), daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        env.issuer.publish_wanted.set()
        worker.join(10)


def test_the_background_publishes_on_its_timer_unasked(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock
) -> None:
    env = make_env(tmp_path, ledger_world, clock, status_interval=1)
    try:
        issued = issue(env)
        env.issuer.publish()
        env.issuer.set_status(env.clerk(), issued.id, "revoke")
        assert env.issuer.lists.pending()
        with background(env):  # nobody sets publish_wanted
            deadline = time.monotonic() + 20
            while env.issuer.lists.pending() and time.monotonic() < deadline:
                time.sleep(0.02)
        assert not env.issuer.lists.pending()
    finally:
        env.issuer.close()


def test_a_failed_background_publication_is_logged_with_its_reason_and_code(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    issued = issue(env)
    env.issuer.set_status(env.clerk(), issued.id, "revoke")

    def unreachable(uri: str, token: str) -> dict[str, Any]:
        raise HTTP_UNREACHABLE("the ledger did not answer")

    monkeypatch.setattr(env.issuer.ledger, "publish_list", unreachable)
    with caplog.at_level(logging.WARNING, logger="civicid.issuer"), background(env):
        env.issuer.publish_wanted.set()
        deadline = time.monotonic() + 20
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    assert caplog.records[0].getMessage() == (
        "status publication failed, will retry: the ledger did not answer"
        f" [{HTTP_UNREACHABLE.name}]"
    )


def test_a_record_named_for_a_credential_hints_its_newest_ids(env: Env) -> None:
    issued = [issue(env, record="REG-9") for _ in range(MAX_IDS_HINTED + 1)]
    newest = env.issuer.credentials(record="REG-9", status=None, limit=100, offset=0)
    assert {i.id for i in newest} == {i.id for i in issued}
    ids = ", ".join(i.id for i in newest[:MAX_IDS_HINTED])
    with pytest.raises(Error) as caught:
        env.issuer.credential("REG-9")
    assert caught.value.message == (
        f"no issued credential 'REG-9'; 'REG-9' is a record, its credentials are {ids} and"
        " more (civicid issuer credentials --record REG-9)"
    )
    exactly = [issue(env, record="REG-10") for _ in range(MAX_IDS_HINTED)]
    listed = env.issuer.credentials(record="REG-10", status=None, limit=100, offset=0)
    assert {i.id for i in listed} == {i.id for i in exactly}
    with pytest.raises(Error) as caught:
        env.issuer.credential("REG-10")
    ids = ", ".join(i.id for i in listed)
    assert caught.value.message.endswith(
        f"its credentials are {ids} (civicid issuer credentials --record REG-10)"
    )


def test_a_clerk_without_the_scope_is_refused_and_audited_by_name(env: Env) -> None:
    with pytest.raises(Error) as caught:
        env.issuer.authorize(env.keys["bob"], ("revoke",), "credential.revoke")
    assert caught.value.code == "staff_scope_missing"
    event = env.issuer.audit(limit=500)[-1]
    assert (event.actor, event.action, event.outcome) == (
        "bob",
        "credential.revoke",
        "staff_scope_missing",
    )


def test_a_refused_status_change_is_audited_with_the_id_asked_for(env: Env) -> None:
    with pytest.raises(Error) as caught:
        env.issuer.set_status(env.clerk(), "no-such-credential", "revoke")
    assert caught.value.code == "credential_not_found"
    event = env.issuer.audit(limit=500)[-1]
    assert (event.actor, event.action, event.subject, event.outcome) == (
        "alice",
        "credential.revoke",
        "no-such-credential",
        "credential_not_found",
    )


def test_a_status_change_is_audited_with_its_credential_and_record_and_dated(env: Env) -> None:
    issued = issue(env, record="REG-5")
    env.clock.offset = 7
    changed = env.issuer.set_status(env.clerk(), issued.id, "suspend")
    assert changed.changed == env.clock()
    event = env.issuer.audit(limit=500)[-1]
    assert (event.action, event.subject, event.record, event.detail) == (
        "credential.suspend",
        issued.id,
        "REG-5",
        {"from": "valid", "to": "suspended"},
    )
