"""The issuer store's writer alone, statement by statement: an issuance's writes (the clerk's
offer with its clerk's row checked, the token's redemption, the credential's record, its
status indexes and the offer's last change, an audit event each) replayed into a fresh
embedded store as the served app queues them, in group commits of a few issuances each
(their offers, tokens and credentials in successive commits, as the four calls arrive),
timed by the thread's CPU per statement. Where the writer's ~0.3-0.4 ms an issuance goes,
without the event loop, the wallets or the server weighing on it.

Used by ``python -m benchmarks.issuer --app-only`` (docs/performance/README.md).
"""

from __future__ import annotations

import secrets
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, cast

from benchmarks.table import Row
from issuer.records import ISSUED, REDEEMED, AuditEvent, Clerk, Issued, Offer
from issuer.store import (
    Acknowledgement,
    Audit,
    ClerkHolds,
    Op,
    PutClerk,
    PutIssued,
    PutOffer,
    SqliteStore,
)

PART = "issuer"
# Issuances per group commit: the served app's commits hold ~4 (strace's 0.24 fdatasync an
# issuance, docs/performance/README.md).
GROUP: Final = 4
BATCH: Final = 4  # copies per issuance, each at its own status index
NOW: Final = 1_765_000_000
COMMIT: Final = "COMMIT"


class TimedConnection:
    """The writer's connection, each statement's thread CPU summed by its first words."""

    def __init__(self, db: Any, spent: Counter[str], counts: Counter[str]) -> None:
        self._db, self._spent, self._counts = db, spent, counts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def _timed(self, kind: str, run: Any, sql: str, *args: Any) -> Any:
        start = time.thread_time_ns()
        try:
            return run(sql, *args)
        finally:
            self._spent[kind] += time.thread_time_ns() - start
            self._counts[kind] += 1

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed(" ".join(sql.split()[:3]), self._db.execute, sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed(" ".join(sql.split()[:5]), self._db.executemany, sql, *args)


def steps(clerk: Clerk, claims: dict[str, Any]) -> Iterator[list[Op]]:
    """An issuance's three writes, in order, as the service queues them."""
    offer = Offer(
        id=secrets.token_urlsafe(12),
        record=f"REC-{secrets.token_hex(4)}",
        configuration="national-id",
        vct="https://civicid.example/vct/national-id",
        claims=claims,
        code_hash=secrets.token_hex(32),
        code=secrets.token_urlsafe(32),
        tx_code_hash=secrets.token_hex(32),
        created=NOW,
        expires=NOW + 600,
        clerk=clerk.name,
    )

    def event(actor: str, action: str, subject: str, **more: Any) -> Audit:
        return Audit(AuditEvent(NOW, actor, action, subject, offer.record, **more))

    detail = {"configuration": offer.configuration, "txCode": True}
    yield [
        ClerkHolds(clerk),
        PutOffer(offer),
        event(clerk.name, "offer.create", offer.id, detail=detail),
    ]
    redeemed = replace(
        offer, state=REDEEMED, code=None, token_hash=secrets.token_hex(32), token_expires=NOW
    )
    yield [PutOffer(redeemed, expect=offer), event("wallet", "token.issue", offer.id)]
    issued = Issued(
        id=secrets.token_urlsafe(12),
        offer=offer.id,
        record=offer.record,
        configuration=offer.configuration,
        vct=offer.vct,
        iat=NOW,
        exp=NOW + 86400,
        status=0,
        slots=tuple((1, secrets.randbelow(1 << 17)) for _ in range(BATCH)),
        clerk=clerk.name,
    )
    done = replace(redeemed, state=ISSUED, claims=None, token_hash=None, credential=issued.id)
    yield [
        PutIssued(issued),
        PutOffer(done, expect=redeemed),
        event("wallet", "credential.issue", issued.id, detail={"offer": offer.id, "copies": 4}),
    ]


def groups(issuances: int, clerk: Clerk, claims: dict[str, Any]) -> list[list[list[Op]]]:
    """The commits: each holds ``GROUP`` issuances' offers, the previous group's tokens and
    the one before's credentials (the four calls of an issuance arrive in turn)."""
    pending = [steps(clerk, claims) for _ in range(issuances)]
    batches: list[list[list[Op]]] = []
    for start in range(0, issuances + 2 * GROUP, GROUP):
        batch: list[list[Op]] = []
        for lag in range(3):  # offers now, tokens one group late, credentials two
            first = start - lag * GROUP
            for it in pending[max(first, 0) : max(first + GROUP, 0)]:
                batch.append(next(it))
        batches.append(batch)
    return batches


def written() -> int:
    """Bytes this thread has handed to ``write`` calls so far (the WAL's frames, and the
    pages a checkpoint copies into the database)."""
    for line in Path("/proc/thread-self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def writer_cpu(
    issuances: int, claims: dict[str, Any], *, timed: bool
) -> tuple[Counter[str], Counter[str], float]:
    """Thread CPU (ns) of the whole over ``issuances``, with ``timed`` each statement kind's
    too and their counts (the timing itself costs ~25 µs an issuance: the whole is read from
    a run without it), and the bytes written per issuance; every commit run on this thread,
    as the writer runs them."""
    spent: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp), create=True)
        try:
            clerk = Clerk(id="c1", name="bench", scopes=("issue",), key_hash="h" * 64, created=1)
            store.write([PutClerk(clerk)])
            if timed:
                store._db = cast(sqlite3.Connection, TimedConnection(store._db, spent, counts))
            before = written()
            batches = groups(issuances, clerk, claims)
            start = time.thread_time_ns()
            for batch in batches:
                callers: list[tuple[Sequence[Op], Acknowledgement]] = [
                    (ops, Acknowledgement(lambda: None)) for ops in batch
                ]
                refused = [o for o in store._commit(callers) if o is not None]
                assert not refused, refused
            spent["the writer in all"] = time.thread_time_ns() - start
            wrote = (written() - before) / issuances
        finally:
            store.close()
    return spent, counts, wrote


def writer_rows(issuances: int, claims: dict[str, Any]) -> list[Row]:
    whole_run, _, wrote = writer_cpu(issuances, claims, timed=False)
    whole = whole_run["the writer in all"]
    spent, counts, _ = writer_cpu(issuances, claims, timed=True)
    del spent["the writer in all"]
    rows = [
        Row(
            PART,
            f"the store's writer alone, {issuances} issuances replayed in group commits of "
            f"{GROUP} (thread CPU per issuance):",
            whole / issuances / 1000,
            "µs",
        )
    ]
    for kind, ns in spent.most_common():
        label = f"  {kind} ({counts[kind] / issuances:.2g} an issuance)"
        rows.append(Row(PART, label, ns / issuances / 1000, "µs"))
    rest = (whole - sum(spent.values())) / issuances / 1000
    rows.append(Row(PART, "  the rest: Python around the statements (values, hashes)", rest, "µs"))
    rows.append(Row(PART, "  bytes written per issuance (WAL frames, checkpoints)", wrote, "B"))
    return rows
