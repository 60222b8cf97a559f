"""The database down under a running desk: the first call waits the pool's full wait, then
every call of the desk's store is answered ``database_lost`` after ``DOWN_WAIT`` at most, and
the store finds the database again once it is back."""

from __future__ import annotations

from typing import Final

from tests.issuer.test_store_database_down import (
    FULL_WAIT,
    KNOWN_DOWN_BOUND,
    answered_lost,
    back,
    first_full_wait,
)
from tests.postgres import Cluster
from verifier.pg_store import PgStore
from verifier.store import PendingRequest

NOW: Final = 1_780_000_000


def pending(n: int) -> PendingRequest:
    return PendingRequest(
        f"id{n}", f"s{n}".ljust(24, "s"), f"t{n}".ljust(24, "t"), f"n{n}".ljust(24, "n"),
        "housing-benefit", "a.b.c", NOW, NOW + 300,
    )  # fmt: skip


def test_every_desk_store_call_is_refused_quickly_once_the_database_is_known_down(
    database_url: str, postgres: Cluster
) -> None:
    store = PgStore(database_url, wait=FULL_WAIT)
    made = pending(1)
    store.add_request(made)
    postgres.stop()
    try:
        assert first_full_wait(lambda: store.by_state(made.state)) >= FULL_WAIT
        took = answered_lost(
            {
                "add_request": lambda: store.add_request(pending(2)),
                "by_state": lambda: store.by_state(made.state),
                "by_transaction": lambda: store.by_transaction(made.transaction_id),
                "poll": lambda: store.poll(made.transaction_id),
                "fetch_request_object": lambda: store.fetch_request_object(made.id, NOW + 1),
                "claim_answer": lambda: store.claim_answer(made.state, NOW + 1),
                "claim_answer_spending_nonce": lambda: store.claim_answer_spending_nonce(
                    made.state, NOW + 1
                ),
                "save_decision": lambda: store.save_decision(
                    made.state, {"eligible": True}, "r.e.c", {"decision": "eligible"}
                ),
                "purge": lambda: store.purge(NOW + 10_000),
                "use_nonce": lambda: store.use_nonce("n" * 24, NOW + 1),
                "audit": lambda: store.audit({"decision": "eligible"}),
                "audit_trail": store.audit_trail,
                "remember_status_uri": lambda: store.remember_status_uri("https://s/1", NOW),
                "status_uris": store.status_uris,
            }
        )
    finally:
        postgres.start()
    try:
        assert len(took) == 14, took  # every call needs the database
        assert max(took.values()) < KNOWN_DOWN_BOUND, took
        back(lambda: store.by_state(made.state))
    finally:
        store.close()
