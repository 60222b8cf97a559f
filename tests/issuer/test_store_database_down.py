"""The database down under a running issuer: the first call waits the pool's full wait, then
every call of its store, and every issuer request, is answered ``database_lost`` after
``DOWN_WAIT`` at most (a request making several calls answers within its client's deadline),
and the issuer finds the database again once it is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

import pytest

from civicid.db import DATABASE_LOST, DOWN_WAIT
from civicid.errors import Error
from issuer.records import Clerk, ListRecord
from issuer.store import ClerkHolds, PutList
from tests.issuer import test_database_faults
from tests.issuer.conftest import CONFIG, Env, sample_claims
from tests.issuer.test_bad_input import credential_request, good_proof, offer, token_request
from tests.postgres import Cluster

# The issuer of the database fault tests: its pool waits FULL_WAIT (15 s in service).
env = test_database_faults.env
FULL_WAIT: Final = test_database_faults.TEST_POOL_WAIT
# What a call may take once the database is known down: DOWN_WAIT, and the call's own work
# on a machine shared with a whole test run.
KNOWN_DOWN_BOUND: Final = DOWN_WAIT + 2.0
NOW: Final = 1_780_000_000
CLERK: Final = Clerk(id="c1", name="alice", scopes=("issue",), key_hash="h", created=1)
LIST: Final = ListRecord(
    number=1, uri="https://issuer.example/status/1", size=16, bits=1, created=1
)


def answered_lost(calls: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Seconds each call took to fail with ``database_lost`` (one that answers from memory,
    without the database, is left out)."""
    took: dict[str, float] = {}
    for name, call in calls.items():
        started = time.monotonic()
        try:
            call()
        except Error as exc:
            assert DATABASE_LOST.matches(exc), (name, exc)
            assert f"within {DOWN_WAIT:g} s" in exc.message, (name, exc)
            took[name] = time.monotonic() - started
    return took


def first_full_wait(call: Callable[[], Any]) -> float:
    started = time.monotonic()
    with pytest.raises(Error) as caught:
        call()
    assert DATABASE_LOST.matches(caught.value)
    assert f"within {FULL_WAIT:g} s" in caught.value.message
    return time.monotonic() - started


def back(call: Callable[[], Any]) -> None:
    """``call`` succeeds once the database is back (the pool reconnects by itself)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            call()
            return
        except Error as exc:
            assert DATABASE_LOST.matches(exc), exc
            assert time.monotonic() < deadline, "the database was not found again"


def test_every_issuer_store_call_is_refused_quickly_once_the_database_is_known_down(
    env: Env, postgres: Cluster
) -> None:
    store = env.store
    postgres.stop()
    try:
        assert first_full_wait(store.lists) >= FULL_WAIT
        took = answered_lost(
            {
                "clerk": lambda: store.clerk("c1"),
                "clerks": store.clerks,
                "offer": lambda: store.offer("o"),
                "offer_by_code": lambda: store.offer_by_code("h"),
                "offer_by_token": lambda: store.offer_by_token("h"),
                "active_offers": store.active_offers,
                "offers": lambda: store.offers(record=None, limit=10, offset=0),
                "issued": lambda: store.issued("i"),
                "issued_list": lambda: store.issued_list(
                    record=None, status=None, limit=10, offset=0
                ),
                "lists": store.lists,
                "slots": lambda: list(store.slots(1)),
                "slots_by_list": store.slots_by_list,
                "audit": lambda: store.audit(after=0, limit=10),
                "counts": store.counts,
                "nonce_expires": lambda: store.nonce_expires("n"),
                "put_nonce": lambda: store.put_nonce("n", now=NOW, expires=NOW + 60),
                "write": lambda: store.write([ClerkHolds(CLERK), PutList(LIST)]),
                "maintain": store.maintain,
                "publishing": lambda: store.publishing().__enter__(),
            }
        )
    finally:
        postgres.start()
    assert len(took) == 19  # every call needs the database
    assert max(took.values()) < KNOWN_DOWN_BOUND, took
    back(store.lists)


def test_every_issuer_request_is_answered_quickly_once_the_database_is_known_down(
    env: Env, postgres: Cluster
) -> None:
    clerk = env.clerk()
    made = offer(env)
    token = env.issuer.token(token_request(made, made.tx_code)).access_token
    request = credential_request([good_proof(env)])
    answer = env.issuer.credential_request(token, request)
    assert answer.credentials is not None
    issued = env.issuer.credentials(record=None, status=None, limit=1, offset=0)[0]
    later = offer(env)
    postgres.stop()
    try:
        assert first_full_wait(lambda: env.issuer.offer(made.offer.id)) >= FULL_WAIT
        took = answered_lost(
            {
                "create_offer": lambda: env.issuer.create_offer(
                    clerk, configuration=CONFIG, record="REG-DOWN", claims=sample_claims()
                ),
                "fetch_offer": lambda: env.issuer.fetch_offer(later.offer.id),
                "token": lambda: env.issuer.token(token_request(later, later.tx_code)),
                "nonce": env.issuer.nonce,
                "credential": lambda: env.issuer.credential_request(token, request),
                "set_status": lambda: env.issuer.set_status(clerk, issued.id, "revoke"),
                "list_offers": lambda: env.issuer.list_offers(record=None, limit=10, offset=0),
                "credentials": lambda: env.issuer.credentials(
                    record=None, status=None, limit=10, offset=0
                ),
                "credential_record": lambda: env.issuer.credential(issued.id),
                "list_uris": env.issuer.list_uris,
                "publish": env.issuer.publish,
                "expire_offers": env.issuer.expire_offers,
                "audit": lambda: env.issuer.audit(limit=10),
            }
        )
    finally:
        postgres.start()
    assert {"create_offer", "token", "nonce", "set_status", "publish"} <= set(took), took
    assert max(took.values()) < KNOWN_DOWN_BOUND, took
    back(lambda: env.issuer.offer(later.offer.id))
