"""The PostgreSQL store's schema version 1 (an issuance's slots only in the slots table, found
by an index by credential) is brought to version 2 (the slots in the issued row too, that
index gone) by the first process to open it, in one transaction under an advisory lock: every
row served as before and the issuer goes on issuing; a migration that fails in the middle
leaves version 1 whole; two processes opening it at once migrate it once."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from civicid.db import Database, Schema
from civicid.errors import Error
from issuer import pg_store
from issuer.pg_store import SCHEMA, PgStore
from issuer.service import Issuer
from issuer.store import verify_audit_chain
from tests.issuer.conftest import Clock, Env, LedgerWorld, make_env
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem
from tests.issuer.test_store_format import issue_some
from tests.postgres import Cluster

ROOT = Path(__file__).parents[2]
# Version 1's schema exactly as the release that wrote it made it: a released step is never
# edited, so the first step of today's is that release's whole schema.
VERSION_1 = Schema("issuer", SCHEMA.migrations[:1])
# Version 1's rows, table by table (the issued rows without the slots column it lacks).
TABLES = {
    "meta": "key, value",
    "clerks": "id, name, scopes, key_hash, created",
    "offers": "pos, id, record, configuration, vct, claims, code_hash, code, tx_code_hash, "
    "created, expires, clerk, state, attempts, fetched, token_hash, token_expires, credential",
    "issued": "pos, id, offer, record, configuration, vct, iat, exp, status, clerk, changed",
    "slots": "list, idx, issued",
    "lists": "number, uri, size, bits, created, published_at, published_seq, token, pending, "
    "changes",
    "nonces": "nonce, expires",
    "audit": "seq, at, actor, action, subject, record, outcome, detail, hash",
}


def served(store: PgStore) -> dict[str, Any]:
    """Everything the store answers."""
    issued = store.issued_list(record=None, status=None, limit=1000, offset=0)
    return {
        "clerks": store.clerks(),
        "offers": store.offers(record=None, limit=1000, offset=0),
        "of_record": store.offers(record="REG-2", limit=1000, offset=0),
        "active": sorted(store.active_offers(), key=lambda o: o.id),
        "issued": issued,
        "each": [store.issued(i.id) for i in issued],
        "revoked": store.issued_list(record=None, status=1, limit=1000, offset=0),
        "lists": store.lists(),
        "slots": {n: sorted(s) for n, s in store.slots_by_list().items()},
        "one_list": {r.number: sorted(store.slots(r.number)) for r in store.lists()},
        "audit": store.audit(after=0, limit=10_000),
        "counts": store.counts(),
    }


def write_version_1(current: str, old: str) -> None:
    """Write at ``old`` the store held at ``current`` (version 2), as version 1 held it."""
    Database(old, VERSION_1).close()
    with psycopg.connect(current) as src, psycopg.connect(old) as dst:
        for table, columns in TABLES.items():
            rows = src.execute(f"SELECT {columns} FROM issuer.{table}").fetchall()  # noqa: S608
            marks = ", ".join(["%s"] * len(columns.split(",")))
            with dst.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO issuer.{table} ({columns}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
        head = src.execute("SELECT seq, hash FROM issuer.audit_head").fetchone()
        dst.execute("UPDATE issuer.audit_head SET seq = %s, hash = %s", head)
        for table in ("offers", "issued"):
            last = f"SELECT max(pos) FROM issuer.{table}"  # noqa: S608 - our names
            dst.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'pos'), ({last}))",
                (f"issuer.{table}",),
            )


def version_of(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM issuer.schema_version ORDER BY version")
        return [int(r[0]) for r in rows]


def indexes_of(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'issuer'")
        return {str(r[0]) for r in rows}


def columns_of(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'issuer' "
            "AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        return [str(r[0]) for r in rows]


@pytest.fixture
def pg_env(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> Iterator[Env]:
    made = make_env(tmp_path, ledger_world, clock, database_url=database_url, status_list_size=16)
    yield made
    made.issuer.close()


@pytest.fixture
def old_store(pg_env: Env, postgres: Cluster) -> Iterator[tuple[str, dict[str, Any]]]:
    """A store of version 1 in a database of its own, and what its rows served."""
    env = pg_env
    issue_some(env)
    for n in range(4):  # 3 copies each, on lists of 16: the slots span several lists
        proofs = [good_proof(env) for _ in range(3)]
        made = offer(env, record=f"REG-{5 + n}")
        env.issuer.credential_request(redeem(env, made), credential_request(proofs))
    revoked = env.issuer.credentials(record="REG-2", status=None, limit=1, offset=0)[0]
    env.issuer.set_status(env.clerk(), revoked.id, "revoke")
    store = env.store
    assert isinstance(store, PgStore)
    before = served(store)
    assert before["counts"]["slots"] == 16 and len(before["lists"]) >= 2
    name = postgres.create_database()
    old = postgres.url(name)
    write_version_1(str(env.settings.database_url), old)
    yield old, before
    postgres.drop_database(name)


def test_a_version_1_store_is_served_as_before_once_brought_to_version_2(
    old_store: tuple[str, dict[str, Any]], pg_env: Env
) -> None:
    old, before = old_store
    assert version_of(old) == [1] and "slots_issued" in indexes_of(old)
    assert "slots" not in columns_of(old, "issued")
    store = PgStore(old)
    try:
        assert served(store) == before
        verify_audit_chain(store.audit(after=0, limit=10_000))
    finally:
        store.close()
    assert version_of(old) == [1, 2]
    assert "slots_issued" not in indexes_of(old)
    assert {"offers_pos", "issued_pos", "slots_pkey"} <= indexes_of(old)  # still read by
    assert columns_of(old, "issued") == columns_of(str(pg_env.settings.database_url), "issued")


def test_an_issuer_of_version_1_beside_a_migrated_store_cannot_issue(
    old_store: tuple[str, dict[str, Any]],
) -> None:
    """Its issuance (its row written as version 1 wrote it, without slots) is refused, not
    stored as a credential this release would read as on no list."""
    old, before = old_store
    PgStore(old).close()
    version_1_issuance = (
        "INSERT INTO issuer.issued (id, offer, record, configuration, vct, iat, exp, status, "
        "clerk, changed) VALUES ('i-old', 'o-old', 'REG-OLD', 'c', 'v', 1, 2, 0, 'k', 1)"
    )
    with pytest.raises(psycopg.errors.NotNullViolation), psycopg.connect(old) as conn:
        conn.execute(version_1_issuance)
    store = PgStore(old)
    try:
        assert served(store) == before
    finally:
        store.close()


def test_the_issuer_goes_on_issuing_from_a_migrated_store(
    old_store: tuple[str, dict[str, Any]], pg_env: Env
) -> None:
    """New indexes beside the migrated ones (never one taken twice), its audit chain on."""
    old, before = old_store
    pg_env.issuer.close()
    settings = pg_env.settings.model_copy(update={"database_url": old})
    env = dataclasses.replace(pg_env, settings=settings)
    env.issuer = Issuer.open(settings, clock=pg_env.clock)
    try:
        for n in range(3):
            made = offer(env, record=f"REG-NEW-{n}")
            proofs = [good_proof(env) for _ in range(3)]
            env.issuer.credential_request(redeem(env, made), credential_request(proofs))
        store = env.store
        assert isinstance(store, PgStore)
        slots = [s for found in store.slots_by_list().values() for s in found]
        assert len(slots) == before["counts"]["slots"] + 9
        assert store.counts()["slots"] == len(slots)
        taken = [(n, idx) for n, found in store.slots_by_list().items() for idx, _ in found]
        assert len(set(taken)) == len(taken)
        for issued in store.issued_list(record=None, status=None, limit=1000, offset=0):
            assert issued.slots, issued  # every credential's copies in its row
        verify_audit_chain(store.audit(after=0, limit=10_000))
    finally:
        env.issuer.close()
        pg_env.issuer = Issuer.__new__(Issuer)  # closed above: nothing for the fixture
        pg_env.issuer.store = _Closed()  # type: ignore[assignment]
        pg_env.issuer.ledger = _Closed()  # type: ignore[assignment]


class _Closed:
    def close(self) -> None:
        pass


def test_a_migration_failing_in_the_middle_leaves_version_1_whole(
    old_store: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step's last statement fails (as a crash there would end it): nothing of it stays."""
    old, before = old_store
    failing = Schema("issuer", (*SCHEMA.migrations[:-1], SCHEMA.migrations[-1] + "SELECT 1/0;"))
    monkeypatch.setattr(pg_store, "SCHEMA", failing)
    with pytest.raises(Error) as caught:
        PgStore(old)
    assert caught.value.code == "database_failed"
    assert version_of(old) == [1]
    assert "slots_issued" in indexes_of(old)
    assert "slots" not in columns_of(old, "issued")
    monkeypatch.undo()
    store = PgStore(old)
    try:
        assert served(store) == before
    finally:
        store.close()


OPEN = textwrap.dedent("""
    import sys
    sys.path.insert(0, ".")
    from issuer.pg_store import PgStore
    store = PgStore(sys.argv[1])
    print(store.counts()["slots"])
    store.close()
""")


def test_two_processes_opening_a_version_1_store_at_once_migrate_it_once(
    old_store: tuple[str, dict[str, Any]],
) -> None:
    old, before = old_store
    opening = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN, old],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in opening:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == str(before["counts"]["slots"])
    assert version_of(old) == [1, 2]
    store = PgStore(old)
    try:
        assert served(store) == before
    finally:
        store.close()
