"""The desk's store on PostgreSQL (``--database-url``): the same records as the SQLite store
(``verifier.store``), shared by every desk process on the database.

Each "use once" rule is one conditional statement, atomic across processes: the request
object is taken by ``UPDATE … WHERE fetched IS NULL``, the right to answer by ``UPDATE …
WHERE answered IS NULL``, a nonce by ``INSERT … ON CONFLICT DO NOTHING``; whichever process
the row lock lets through first wins, the others see the row changed and are refused. Every
write commits before it returns (``civicid.db``: synchronous commit).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Final

from civicid.db import Database, Schema
from verifier.errors import (
    PRESENTATION_REPLAYED,
    REQUEST_ALREADY_ANSWERED,
    REQUEST_ALREADY_FETCHED,
    REQUEST_EXPIRED,
    REQUEST_UNKNOWN,
)
from verifier.poll import POLLED_COLUMNS, Polled, decision_text
from verifier.store import (
    COLUMNS,
    KEEP_NONCES_SECONDS,
    KEEP_REQUESTS_SECONDS,
    MAX_AUDIT_ROWS_LISTED,
    PendingRequest,
    request_of,
)

# Times are Unix seconds, as in the SQLite store; BIGINT outlives 2038.
SCHEMA: Final = Schema(
    "verifier",
    (
        """
        CREATE TABLE requests (
            id TEXT PRIMARY KEY,
            state TEXT NOT NULL UNIQUE,
            transaction_id TEXT NOT NULL UNIQUE,
            nonce TEXT NOT NULL UNIQUE,
            policy TEXT NOT NULL,
            request_object TEXT NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT NOT NULL,
            fetched BIGINT,
            answered BIGINT,
            decision TEXT,
            receipt TEXT
        );
        CREATE INDEX requests_expires ON requests (expires);
        CREATE TABLE nonces (nonce TEXT PRIMARY KEY, used BIGINT NOT NULL);
        CREATE INDEX nonces_used ON nonces (used);
        CREATE TABLE audit (seq BIGSERIAL PRIMARY KEY, record TEXT NOT NULL);
        CREATE TABLE status_uris (uri TEXT PRIMARY KEY, seen BIGINT NOT NULL);
        """,
    ),
)
SELECT_REQUEST: Final = f"SELECT {COLUMNS} FROM requests"  # noqa: S608 - a constant


class PgStore:
    """The desk's store in the ``verifier`` schema of a PostgreSQL database."""

    reads_in_place = False  # a read is a round trip to the database: a thread waits for it

    def __init__(self, url: str, *, wait: float | None = None) -> None:
        self.db = Database(url, SCHEMA, wait=wait)
        self.path = self.db.where  # what messages name the store by

    def close(self) -> None:
        self.db.close()

    # -- requests ---------------------------------------------------------------------------

    def add_request(self, request: PendingRequest) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                f"INSERT INTO requests ({COLUMNS}) "  # noqa: S608 - a constant
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,NULL,NULL,NULL,NULL)",
                (
                    request.id,
                    request.state,
                    request.transaction_id,
                    request.nonce,
                    request.policy,
                    request.request_object,
                    request.created,
                    request.expires,
                ),
            )

    def _one(self, column: str, value: str) -> PendingRequest:
        with self.db.read() as conn:
            row = conn.execute(f"{SELECT_REQUEST} WHERE {column} = %s", (value,)).fetchone()
        found = request_of(row)
        if found is None:
            raise REQUEST_UNKNOWN(f"no request with this {column.replace('_', ' ')}")
        return found

    def by_state(self, state: str) -> PendingRequest:
        return self._one("state", state)

    def by_transaction(self, transaction_id: str) -> PendingRequest:
        return self._one("transaction_id", transaction_id)

    def poll(self, transaction_id: str) -> Polled:
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {POLLED_COLUMNS} FROM requests WHERE transaction_id = %s",  # noqa: S608 - a constant
                (transaction_id,),
            ).fetchone()
        if row is None:
            raise REQUEST_UNKNOWN("no request with this transaction id")
        return Polled(*row)

    def fetch_request_object(self, request_id: str, now: int) -> str:
        """The request object, once (RFC 9101 §5.2 request_uri; ours: single use)."""
        with self.db.transaction() as conn:
            taken = conn.execute(
                "UPDATE requests SET fetched = %s "
                "WHERE id = %s AND fetched IS NULL AND expires > %s RETURNING request_object",
                (now, request_id, now),
            ).fetchone()
            if taken is not None:
                return str(taken[0])
            row = conn.execute(
                "SELECT expires, fetched FROM requests WHERE id = %s", (request_id,)
            ).fetchone()
        if row is None:
            raise REQUEST_UNKNOWN("no such request")
        if row[1] is not None:
            raise REQUEST_ALREADY_FETCHED("this request was already fetched by a wallet")
        raise REQUEST_EXPIRED("the request expired; the desk makes a new one")

    def claim_answer(self, state: str, now: int) -> PendingRequest:
        """Take the right to answer the request named by ``state``: once, before expiry.
        The request is returned as it was before the claim (``answered`` unset)."""
        with self.db.transaction() as conn:
            taken = conn.execute(
                f"UPDATE requests SET answered = %s "  # noqa: S608 - a constant
                f"WHERE state = %s AND answered IS NULL AND expires > %s RETURNING {COLUMNS}",
                (now, state, now),
            ).fetchone()
            if taken is None:
                row = conn.execute(
                    "SELECT answered FROM requests WHERE state = %s", (state,)
                ).fetchone()
        if taken is not None:
            claimed = request_of(taken)
            assert claimed is not None
            return replace(claimed, answered=None)
        if row is None:
            raise REQUEST_UNKNOWN("no pending request has this state")
        if row[0] is not None:
            raise REQUEST_ALREADY_ANSWERED("this request was already answered")
        raise REQUEST_EXPIRED("the request expired before the answer came")

    def save_decision(
        self, state: str, decision: dict[str, Any], receipt: str | None, audit: dict[str, Any]
    ) -> None:
        """The decision, the receipt and the audit record, in one commit."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE requests SET decision = %s, receipt = %s WHERE state = %s",
                (decision_text(decision), receipt, state),
            )
            conn.execute("INSERT INTO audit (record) VALUES (%s)", (json.dumps(audit),))

    def purge(self, now: int) -> int:
        with self.db.transaction() as conn:
            gone = conn.execute(
                "DELETE FROM requests WHERE expires < %s", (now - KEEP_REQUESTS_SECONDS,)
            ).rowcount
            conn.execute("DELETE FROM nonces WHERE used < %s", (now - KEEP_NONCES_SECONDS,))
        return int(gone)

    # -- nonces, audit, status lists ------------------------------------------------------

    def use_nonce(self, nonce: str, now: int) -> None:
        """Spend ``nonce``; a second use, by any process sharing the database, is a replay."""
        with self.db.transaction() as conn:
            inserted = conn.execute(
                "INSERT INTO nonces VALUES (%s, %s) ON CONFLICT (nonce) DO NOTHING", (nonce, now)
            ).rowcount
        if inserted == 0:
            raise PRESENTATION_REPLAYED("this nonce was already used")

    def audit(self, record: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO audit (record) VALUES (%s)", (json.dumps(record),))

    def audit_trail(self, limit: int = MAX_AUDIT_ROWS_LISTED) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT record FROM audit ORDER BY seq DESC LIMIT %s", (limit,)
            ).fetchall()
        return [json.loads(r[0]) for r in reversed(rows)]

    def remember_status_uri(self, uri: str, now: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO status_uris VALUES (%s, %s) "
                "ON CONFLICT (uri) DO UPDATE SET seen = excluded.seen",
                (uri, now),
            )

    def status_uris(self) -> list[str]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT uri FROM status_uris ORDER BY uri").fetchall()
        return [str(r[0]) for r in rows]
