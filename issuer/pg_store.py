"""The issuer's store on PostgreSQL (``--database-url``), shared by several issuer processes:
the same records as ``SqliteStore``, in the ``issuer`` schema (``civicid.db``).

Writes are group-committed as on SQLite: a writer thread per process takes what is queued,
applies each caller's ops in a savepoint of one transaction, and commits (durably) before any
caller is answered. What makes several processes safe:

- every write batch first locks the audit chain's head row, so batches of all processes
  commit one after another and the audit log stays one chain;
- a change made on what a process read (an offer fetched or redeemed, a wrong transaction
  code counted, a status changed) is written only if the row is still as read (``expect``):
  else that caller's ops are rolled back and it gets ``issuer_store_conflict``, reads again
  and retries, so a nonce, a pre-authorized code, an access token and a status index are
  each used once across processes;
- status indexes are claimed by the slots table's primary key, new lists by theirs;
- one process at a time publishes lists (an advisory lock), from what the database holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any, Final

import psycopg
from psycopg.rows import dict_row

from civicid.db import Conn, Database, Schema
from civicid.errors import Error
from issuer.errors import STORE_CONFLICT, STORE_FAILED, STORE_MISSING
from issuer.records import AuditEvent, Clerk, Issued, ListRecord, Offer
from issuer.store import (
    CLERK_COLUMNS,
    GENESIS_HASH,
    LIST_COLUMNS,
    OFFER_COLUMNS,
    ROW_ISSUED_COLUMNS,
    Audit,
    Batch,
    ClearExpired,
    ClerkHolds,
    GroupCommit,
    MarkPending,
    NewList,
    Op,
    PutClerk,
    PutIssued,
    PutList,
    PutOffer,
    RemoveClerk,
    SpendNonce,
    audit_detail,
    audit_from_row,
    audit_hash,
    clerk_from_row,
    issued_from_row,
    list_from_row,
    offer_from_row,
    require_clerk_holds,
    scopes_text,
)
from issuer.store_format import slots_from_text, slots_text

log = logging.getLogger(__name__)

SCHEMA: Final = Schema(
    "issuer",
    (
        f"""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE clerks (
          id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
          key_hash TEXT NOT NULL, created BIGINT NOT NULL);
        CREATE TABLE offers (
          pos BIGSERIAL NOT NULL,
          id TEXT PRIMARY KEY, record TEXT NOT NULL, configuration TEXT NOT NULL,
          vct TEXT NOT NULL, claims TEXT, code_hash TEXT NOT NULL UNIQUE, code TEXT,
          tx_code_hash TEXT, created BIGINT NOT NULL, expires BIGINT NOT NULL,
          clerk TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
          fetched BOOLEAN NOT NULL, token_hash TEXT, token_expires BIGINT, credential TEXT);
        CREATE INDEX offers_active ON offers (state) WHERE state IN ('offered', 'redeemed');
        CREATE INDEX offers_record ON offers (record, pos);
        CREATE INDEX offers_pos ON offers (pos);
        CREATE UNIQUE INDEX offers_token ON offers (token_hash) WHERE token_hash IS NOT NULL;
        CREATE TABLE issued (
          pos BIGSERIAL NOT NULL,
          id TEXT PRIMARY KEY, offer TEXT NOT NULL, record TEXT NOT NULL,
          configuration TEXT NOT NULL, vct TEXT NOT NULL, iat BIGINT NOT NULL,
          exp BIGINT NOT NULL, status INTEGER NOT NULL, clerk TEXT NOT NULL,
          changed BIGINT NOT NULL);
        CREATE INDEX issued_record ON issued (record, pos);
        CREATE INDEX issued_pos ON issued (pos);
        CREATE TABLE slots (
          list INTEGER NOT NULL, idx INTEGER NOT NULL, issued TEXT NOT NULL,
          PRIMARY KEY (list, idx));
        CREATE INDEX slots_issued ON slots (issued);
        CREATE TABLE lists (
          number INTEGER PRIMARY KEY, uri TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
          bits INTEGER NOT NULL, created BIGINT NOT NULL, published_at BIGINT,
          published_seq BIGINT, token TEXT, pending BOOLEAN NOT NULL,
          changes BIGINT NOT NULL DEFAULT 0);
        CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires BIGINT NOT NULL);
        CREATE INDEX nonces_expires ON nonces (expires);
        CREATE TABLE audit (
          seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL,
          action TEXT NOT NULL, subject TEXT, record TEXT, outcome TEXT NOT NULL,
          detail TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE TABLE audit_head (
          one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one), seq BIGINT NOT NULL,
          hash TEXT NOT NULL);
        INSERT INTO audit_head VALUES (true, 0, '{GENESIS_HASH}');
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
        CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
          FOR EACH ROW EXECUTE FUNCTION audit_append_only();
        """,  # noqa: S608 - a constant hash, no input
        # Version 2: an issuance's slots in its row too (read with it, as the embedded store
        # holds them since its format 2), so nothing looks slots up by credential and their
        # index by credential goes: one b-tree fewer written at a random key per copy issued.
        # The slots table stays: its key (list, index) is what claims an index once across
        # processes, which a column of the issued row cannot (PostgreSQL has no unique
        # constraint across array elements of different rows). Slots naming no credential
        # (none were ever written so) stay where they are, read by no one, as before. The
        # column has no default: an issuer of the release before, still running beside one
        # that migrated, has its issuances refused (issuer_store_failed) instead of writing
        # credentials whose slots this release would read as none; its other work goes on.
        """
        ALTER TABLE issued ADD COLUMN slots TEXT NOT NULL DEFAULT '[]';
        UPDATE issued SET slots = held.slots
          FROM (SELECT issued,
                       replace(json_agg(json_build_array(list, idx) ORDER BY list, idx)::text,
                               ' ', '') AS slots
                  FROM slots GROUP BY issued) AS held
          WHERE issued.id = held.issued;
        ALTER TABLE issued ALTER COLUMN slots DROP DEFAULT;
        DROP INDEX slots_issued;
        """,
    ),
)
# The meta row ``init`` and ``recover`` write: a database without it is not this issuer's
# store (a fresh one would republish every list as all valid), and is refused.
INITIALIZED: Final = "initialized"
# The advisory lock of the one process publishing lists at a time.
PUBLISHER_LOCK: Final = "civicid:issuer:publisher"
# Seconds a process waits for another's publication to end (one normally takes a fraction of
# a second) before leaving it to the next run: then it publishes what it changed itself
# (a new list) right after, instead of a status interval later.
PUBLISHER_WAIT = 10.0  # not Final: tests shorten it
PUBLISHER_POLL: Final = 0.1


def _marks(columns: str) -> str:
    return ", ".join(f"%({c.strip()})s" for c in columns.split(","))


def _upsert(table: str, columns: str, key: str) -> str:
    names = [c.strip() for c in columns.split(",")]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({_marks(columns)}) "  # noqa: S608 - our names
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


UPSERT_OFFER: Final = _upsert("offers", OFFER_COLUMNS, "id")
UPSERT_ISSUED: Final = _upsert("issued", ROW_ISSUED_COLUMNS, "id")
UPSERT_CLERK: Final = _upsert("clerks", CLERK_COLUMNS, "id")
# A publication clears ``pending`` only if no status change was marked since the list was
# read for it (another process may have revoked meanwhile).
UPSERT_LIST: Final = (
    f"INSERT INTO lists ({LIST_COLUMNS}) VALUES ({_marks(LIST_COLUMNS)}) "  # noqa: S608
    "ON CONFLICT (number) DO UPDATE SET published_at = excluded.published_at, "
    "published_seq = excluded.published_seq, token = excluded.token, "
    "pending = lists.changes > %(changes)s OR excluded.pending"
)
UPDATE_OFFER_IF: Final = (  # our own column names; every value is a parameter
    "UPDATE offers SET "  # noqa: S608
    + ", ".join(f"{c.strip()} = %({c.strip()})s" for c in OFFER_COLUMNS.split(",")[1:])
    + " WHERE id = %(id)s AND state = %(was_state)s AND attempts = %(was_attempts)s"
    " AND fetched = %(was_fetched)s AND token_hash IS NOT DISTINCT FROM %(was_token)s"
    " AND (claims IS NULL) = %(was_cleared)s"
)
SELECT_OFFERS: Final = f"SELECT {OFFER_COLUMNS} FROM offers"  # noqa: S608
SELECT_ISSUED: Final = f"SELECT {ROW_ISSUED_COLUMNS} FROM issued"  # noqa: S608
# An issuance's slots claimed in the slots table: each row inserted, or already this
# credential's (the same issuance written again), is counted; one another credential holds
# is not, and the issuance is a conflict.
CLAIM_SLOTS: Final = (
    "INSERT INTO slots (list, idx, issued) SELECT l, x, %s "
    "FROM unnest(%s::integer[], %s::integer[]) AS s(l, x) "
    "ON CONFLICT (list, idx) DO UPDATE SET issued = excluded.issued "
    "WHERE slots.issued = excluded.issued"
)
# FOR SHARE: a removal in another process waits for the write that read the row, or that
# write for the removal, which it then sees.
CLERK_SCOPES: Final = (
    "SELECT scopes FROM clerks WHERE id = %s AND key_hash = %s AND name = %s AND created = %s "
    "FOR SHARE"
)


def _offer_values(o: Offer) -> dict[str, Any]:
    return {
        "id": o.id,
        "record": o.record,
        "configuration": o.configuration,
        "vct": o.vct,
        "claims": None if o.claims is None else json.dumps(o.claims, separators=(",", ":")),
        "code_hash": o.code_hash,
        "code": o.code,
        "tx_code_hash": o.tx_code_hash,
        "created": o.created,
        "expires": o.expires,
        "clerk": o.clerk,
        "state": o.state,
        "attempts": o.attempts,
        "fetched": o.fetched,
        "token_hash": o.token_hash,
        "token_expires": o.token_expires,
        "credential": o.credential,
    }


class PgStore(GroupCommit):
    """The issuer's store in the ``issuer`` schema of a PostgreSQL database. Only with
    ``create`` (``init``, ``recover``) is a database without an issuer store taken as one."""

    shared = True

    def __init__(self, url: str, *, create: bool = False, wait: float | None = None) -> None:
        self.db = Database(url, SCHEMA, wait=wait)
        self.where = self.db.where
        try:
            self._require_initialized(create)
        except BaseException:
            self.db.close()
            raise
        self._start_writer("issuer-pg-store")

    def _require_initialized(self, create: bool) -> None:
        with self.db.transaction() as conn:
            if create:
                conn.execute(
                    "INSERT INTO meta VALUES (%s, 'true') ON CONFLICT DO NOTHING", (INITIALIZED,)
                )
                return
            found = conn.execute("SELECT 1 FROM meta WHERE key = %s", (INITIALIZED,)).fetchone()
        if found is None:
            raise STORE_MISSING(
                f"the database at {self.where} holds no issuer store: restore it from a "
                "backup, or rebuild it from the ledger with `civicid issuer recover` "
                "(never `init --force`: its statuses would be lost)"
            )

    # -- writes: group commit ---------------------------------------------------------------

    def _commit(self, batch: Batch) -> list[Error | None]:
        outcomes: list[Error | None] = []
        try:
            with self.db.transaction() as conn:
                # Every batch of every process goes through this row: one chain, and no
                # two batches interleave their row locks (no deadlock).
                head = conn.execute("SELECT seq, hash FROM audit_head FOR UPDATE").fetchone()
                assert head is not None
                seq, last_hash = int(str(head[0])), str(head[1])
                for ops, _ in batch:
                    try:
                        with conn.transaction():  # a savepoint: this caller's ops, or none
                            at, digest = seq, last_hash
                            for op in ops:
                                at, digest = self._apply(conn, op, at, digest)
                        seq, last_hash = at, digest
                        outcomes.append(None)
                    except Error as exc:
                        outcomes.append(exc)
                    except (
                        psycopg.IntegrityError,
                        psycopg.DataError,
                        # A value it cannot write (not the connection): its own refusal.
                        ValueError,
                        TypeError,
                        ArithmeticError,
                        RecursionError,
                    ):
                        # The detail (which can quote the values refused) stays in the log.
                        log.exception("the issuer store refused a write")
                        outcomes.append(STORE_FAILED("write refused by the store"))
                conn.execute("UPDATE audit_head SET seq = %s, hash = %s", (seq, last_hash))
        except Error:  # the connection lost (database_lost)
            raise
        except Exception as exc:  # the commit refused, a bug: the detail stays in the log
            log.exception("the issuer store's batch failed")
            raise STORE_FAILED("the batch failed; the issuer's log says why") from exc
        return outcomes

    def _apply(self, conn: Conn, op: Op, seq: int, last_hash: str) -> tuple[int, str]:
        if isinstance(op, PutOffer):
            values = _offer_values(op.offer)
            if op.expect is None:
                conn.execute(UPSERT_OFFER, values)
            else:
                was = op.expect
                changed = conn.execute(
                    UPDATE_OFFER_IF,
                    {
                        **values,
                        "was_state": was.state,
                        "was_attempts": was.attempts,
                        "was_fetched": was.fetched,
                        "was_token": was.token_hash,
                        "was_cleared": was.claims is None,
                    },
                ).rowcount
                if changed != 1:
                    raise STORE_CONFLICT(f"offer {was.id} changed in another process")
        elif isinstance(op, PutIssued):
            self._put_issued(conn, op)
        elif isinstance(op, NewList):
            r = op.record
            made = conn.execute(
                f"INSERT INTO lists ({LIST_COLUMNS}) VALUES ({_marks(LIST_COLUMNS)}) "  # noqa: S608
                "ON CONFLICT (number) DO NOTHING",
                _list_values(r),
            ).rowcount
            if made != 1:
                raise STORE_CONFLICT(f"list {r.number} was made by another process")
        elif isinstance(op, PutList):
            conn.execute(UPSERT_LIST, _list_values(op.record))
        elif isinstance(op, MarkPending):
            conn.execute(
                "UPDATE lists SET pending = true, changes = changes + 1 WHERE number = %s",
                (op.number,),
            )
        elif isinstance(op, SpendNonce):
            gone = conn.execute("DELETE FROM nonces WHERE nonce = %s", (op.nonce,)).rowcount
            if gone != 1:
                raise STORE_CONFLICT("the nonce was used by another process")
        elif isinstance(op, ClearExpired):
            conn.execute(
                "UPDATE offers SET claims = NULL, code = NULL WHERE state IN ('offered', "
                "'redeemed') AND expires <= %s AND COALESCE(token_expires, 0) <= %s "
                "AND claims IS NOT NULL",
                (op.now, op.now),
            )
        elif isinstance(op, ClerkHolds):
            # FOR SHARE: a removal in another process waits for this write, or this write
            # for the removal, which it then sees.
            c = op.clerk
            row = conn.execute(CLERK_SCOPES, (c.id, c.key_hash, c.name, c.created)).fetchone()
            require_clerk_holds(c, row)
        elif isinstance(op, RemoveClerk):
            conn.execute("DELETE FROM clerks WHERE id = %s", (op.clerk_id,))
        elif isinstance(op, PutClerk):
            c = op.clerk
            conn.execute(
                UPSERT_CLERK,
                {
                    "id": c.id,
                    "name": c.name,
                    "scopes": scopes_text(c.scopes),
                    "key_hash": c.key_hash,
                    "created": c.created,
                },
            )
        elif isinstance(op, Audit):
            e = op.event
            digest = audit_hash(last_hash, e)
            conn.execute(
                "INSERT INTO audit (seq, at, actor, action, subject, record, outcome, detail, "
                "hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    *(seq + 1, e.at, e.actor, e.action, e.subject, e.record, e.outcome),
                    *(audit_detail(e.detail), digest),
                ),
            )
            return seq + 1, digest
        return seq, last_hash

    def _put_issued(self, conn: Conn, op: PutIssued) -> None:
        i = op.issued
        if op.expect_status is not None:
            changed = conn.execute(
                "UPDATE issued SET status = %s, changed = %s WHERE id = %s AND status = %s",
                (i.status, i.changed, i.id, op.expect_status),
            ).rowcount
            if changed != 1:
                raise STORE_CONFLICT(f"credential {i.id} changed in another process")
            return
        conn.execute(
            UPSERT_ISSUED,
            {
                "id": i.id,
                "offer": i.offer,
                "record": i.record,
                "configuration": i.configuration,
                "vct": i.vct,
                "iat": i.iat,
                "exp": i.exp,
                "status": i.status,
                "clerk": i.clerk,
                "changed": i.changed,
                "slots": slots_text(i.slots),
            },
        )
        if not i.slots:
            return
        lists, indexes = [n for n, _ in i.slots], [idx for _, idx in i.slots]
        owned = conn.execute(CLAIM_SLOTS, (i.id, lists, indexes)).rowcount
        if owned != len(i.slots):
            # Another process took one of these indexes first: never hand one out twice.
            raise STORE_CONFLICT("a status index was taken by another process")

    # -- nonces and the publisher -----------------------------------------------------------

    def put_nonce(self, nonce: str, *, now: int, expires: int) -> None:
        with self.db.transaction() as conn:
            # Not flushed to disk before it returns (no fsync per nonce): a nonce lost to a
            # crash meets invalid_nonce and the wallet fetches another (OpenID4VCI §7.2),
            # as with the memory of an issuer of one process. Spending one is durable.
            conn.execute("SET LOCAL synchronous_commit = off")
            # Those past their time go first: a flood of nonce requests cannot grow the
            # table past what one ttl holds.
            conn.execute("DELETE FROM nonces WHERE expires <= %s", (now,))
            conn.execute("INSERT INTO nonces VALUES (%s, %s)", (nonce, expires))

    def nonce_expires(self, nonce: str) -> int | None:
        row = self._one("SELECT expires FROM nonces WHERE nonce = %s", (nonce,))
        return int(row["expires"]) if row is not None else None

    @contextlib.contextmanager
    def publishing(self) -> Iterator[bool]:
        """Whether this process holds the publisher's lock (held for the block)."""
        with self.db.read() as conn:
            mine = False
            deadline = time.monotonic() + PUBLISHER_WAIT
            while not mine:
                try:
                    got = conn.execute(
                        "SELECT pg_try_advisory_lock(hashtext(%s))", (PUBLISHER_LOCK,)
                    ).fetchone()
                except psycopg.Error as exc:
                    raise self.db.translate(exc) from exc
                mine = bool(got and got[0])
                if mine or time.monotonic() >= deadline:
                    break
                time.sleep(PUBLISHER_POLL)
            try:
                yield mine
            finally:
                if mine:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (PUBLISHER_LOCK,))

    # -- reads ------------------------------------------------------------------------------

    def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self.db.read() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql.encode(), params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def clerk(self, clerk_id: str) -> Clerk | None:
        row = self._one("SELECT * FROM clerks WHERE id = %s", (clerk_id,))
        return clerk_from_row(row) if row else None

    def clerks(self) -> list[Clerk]:
        return [clerk_from_row(r) for r in self._all("SELECT * FROM clerks ORDER BY created, name")]

    def offer(self, offer_id: str) -> Offer | None:
        row = self._one(SELECT_OFFERS + " WHERE id = %s", (offer_id,))
        return offer_from_row(row) if row else None

    def offer_by_code(self, code_hash: str) -> Offer | None:
        row = self._one(SELECT_OFFERS + " WHERE code_hash = %s", (code_hash,))
        return offer_from_row(row) if row else None

    def offer_by_token(self, token_hash: str) -> Offer | None:
        row = self._one(SELECT_OFFERS + " WHERE token_hash = %s", (token_hash,))
        return offer_from_row(row) if row else None

    def active_offers(self) -> list[Offer]:
        sql = SELECT_OFFERS + " WHERE state IN ('offered', 'redeemed')"
        return [offer_from_row(r) for r in self._all(sql)]

    def offers(self, *, record: str | None, limit: int, offset: int) -> list[Offer]:
        where, params = ("WHERE record = %s", [record]) if record is not None else ("", [])
        sql = f"{SELECT_OFFERS} {where} ORDER BY pos DESC LIMIT %s OFFSET %s"
        return [offer_from_row(r) for r in self._all(sql, [*params, limit, offset])]

    def _issued(self, rows: list[dict[str, Any]]) -> list[Issued]:
        return [issued_from_row(r, slots_from_text(r["slots"])) for r in rows]

    def issued(self, issued_id: str) -> Issued | None:
        found = self._issued(self._all(SELECT_ISSUED + " WHERE id = %s", (issued_id,)))
        return found[0] if found else None

    def issued_list(
        self, *, record: str | None, status: int | None, limit: int, offset: int
    ) -> list[Issued]:
        clauses: list[str] = []
        params: list[Any] = []
        if record is not None:
            clauses.append("record = %s")
            params.append(record)
        if status is not None:
            clauses.append("status = %s")
            params.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{SELECT_ISSUED} {where} ORDER BY pos DESC LIMIT %s OFFSET %s"
        return self._issued(self._all(sql, [*params, limit, offset]))

    def lists(self) -> list[ListRecord]:
        return [list_from_row(r) for r in self._all("SELECT * FROM lists ORDER BY number")]

    def slots(self, number: int) -> Iterator[tuple[int, int]]:
        sql = (
            "SELECT s.idx, i.status FROM slots s JOIN issued i ON i.id = s.issued WHERE s.list = %s"
        )
        for row in self._all(sql, (number,)):
            yield row["idx"], row["status"]

    def slots_by_list(self) -> dict[int, list[tuple[int, int]]]:
        out: dict[int, list[tuple[int, int]]] = {}
        sql = "SELECT s.list, s.idx, i.status FROM slots s JOIN issued i ON i.id = s.issued"
        for row in self._all(sql):
            out.setdefault(row["list"], []).append((row["idx"], row["status"]))
        return out

    def audit(self, *, after: int, limit: int) -> list[AuditEvent]:
        rows = self._all("SELECT * FROM audit WHERE seq > %s ORDER BY seq LIMIT %s", (after, limit))
        return [audit_from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for table in ("clerks", "offers", "issued", "slots", "lists", "audit"):
            row = self._one(f"SELECT count(*) AS n FROM {table}")  # noqa: S608 - our names
            out[table] = int(row["n"]) if row else 0
        return out

    def maintain(self) -> None:
        """Nothing to fold: PostgreSQL's autovacuum reclaims the row versions that held
        dropped claim values (docs/postgresql.md says how soon, and what backups keep)."""
        self.write([])

    def close(self) -> None:
        self._stop_writer()
        self.db.close()


def _list_values(r: ListRecord) -> dict[str, Any]:
    return {
        "number": r.number,
        "uri": r.uri,
        "size": r.size,
        "bits": r.bits,
        "created": r.created,
        "published_at": r.published_at,
        "published_seq": r.published_seq,
        "token": r.token,
        "pending": r.pending,
        "changes": r.changes,
    }


# Every table of the store (its schema's version table apart), as a begun store is emptied.
TABLES: Final = ("meta", "clerks", "offers", "issued", "slots", "lists", "nonces", "audit")


def discard_begun(url: str) -> None:
    """Empty the store a failed ``recover`` began, in one transaction, so that the next attempt
    finds none (its ``initialized`` mark gone) where it would be ``issuer_store_present``: the
    tables emptied, the audit chain's head back at its genesis. TRUNCATE passes the audit
    log's append-only trigger (a row's): the log of a store nobody has used. One holding
    clerks, offers or credentials is in use (another process took the database meanwhile):
    it is left as it is."""
    db = Database(url, SCHEMA)
    try:
        with db.transaction() as conn:
            names = ", ".join(TABLES)
            conn.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
            used = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM clerks) OR EXISTS (SELECT 1 FROM offers) "
                "OR EXISTS (SELECT 1 FROM issued)"
            ).fetchone()
            if used is not None and used[0]:
                log.warning("the issuer store at %s is in use: not emptied", db.where)
                return
            conn.execute(f"TRUNCATE {names}")
            conn.execute("UPDATE audit_head SET seq = 0, hash = %s", (GENESIS_HASH,))
    finally:
        db.close()
