"""The issuer's store, SQLite and PostgreSQL alike: nothing acknowledged is lost to kill -9 (and
no status index is handed out twice after it), the audit log is append-only and hash-chained,
claim values gone once issued, a store of another format refused. Then what only one has: one
server per SQLite file; on PostgreSQL, two issuer processes redeeming the same codes at once,
and the database unreachable, lost mid-request, and restarted under load."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from civicid.db import DATABASE_SCHEMA_NEWER
from civicid.errors import Error
from civicid.shell.settings import DATABASE_URL_ENV
from issuer.records import ISSUED
from issuer.service import Issuer
from issuer.store import DB_FILE, SqliteStore, verify_audit_chain
from tests.issuer.conftest import Clock, Env, LedgerWorld, make_env, sample_claims
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem

ROOT = Path(__file__).parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> str | None:
    """The store a test runs on: None for the SQLite file, else a fresh database's URL."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("database_url"))


@pytest.fixture
def any_env(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database: str | None
) -> Iterator[Env]:
    made = make_env(tmp_path, ledger_world, clock, database_url=database)
    yield made
    made.issuer.close()


@pytest.fixture
def pg_env(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> Iterator[Env]:
    made = make_env(tmp_path, ledger_world, clock, database_url=database_url)
    yield made
    made.issuer.close()


def child_env(database: str | None) -> dict[str, str]:
    """A child process's environment: the database (if any) named as operators name it."""
    env = {k: v for k, v in os.environ.items() if k != DATABASE_URL_ENV}
    return {**env, DATABASE_URL_ENV: database} if database else env


WORKER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    sys.path.insert(0, ".")  # the repository: tests.issuer's claims
    from civicid.jose import PrivateKey
    from civicid.oid4vci import PRE_AUTHORIZED_GRANT, CredentialRequest, TokenRequest
    from civicid.oid4vci import build_proof_jwt
    from issuer.service import Issuer
    from issuer.settings import IssuerSettings
    from tests.issuer.conftest import sample_claims

    settings = IssuerSettings.load(Path(sys.argv[1]))
    issuer = Issuer.open(settings)
    clerk = issuer.keyring.authenticate(sys.argv[2])
    out = threading.Lock()

    def work(n):  # 8 at once: acknowledgements come from shared group commits
        i = 0
        while True:
            i += 1
            record = f"R{sys.argv[3]}-{n}-{i}"
            made = issuer.create_offer(clerk, configuration="national_id", record=record,
                                       claims=sample_claims())
            code = made.credential_offer.pre_authorized.pre_authorized_code
            token = issuer.token(TokenRequest.from_form({"grant_type": PRE_AUTHORIZED_GRANT,
                "pre-authorized_code": code, "tx_code": made.tx_code})).access_token
            proofs = [build_proof_jwt(PrivateKey.generate(), aud=settings.public_url,
                      nonce=issuer.nonce().c_nonce, iat=issuer.clock()) for _ in range(2)]
            issuer.credential_request(token, CredentialRequest.from_json(
                {"credential_configuration_id": "national_id", "proofs": {"jwt": proofs}}))
            with out:
                print(record, flush=True)

    for n in range(8):
        threading.Thread(target=work, args=(n,), daemon=True).start()
    threading.Event().wait()
""")


def test_kill_9_loses_nothing_acknowledged(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database: str | None
) -> None:
    env = make_env(tmp_path / "issuer", ledger_world, clock, database_url=database)
    env.issuer.close()  # the worker process serves this store now
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    acknowledged: list[str] = []
    for run in range(2):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(env.data_dir), env.keys["alice"], str(run)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=child_env(database),
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        seen = 0
        while seen < 30 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
            seen += 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for line in proc.stdout:
            if line.endswith("\n"):  # not a line cut by the kill
                acknowledged.append(line.strip())
        assert seen == 30
    issuer = Issuer.open(env.settings, clock=clock)
    try:
        slots: set[tuple[int, int]] = set()
        for record in acknowledged:
            found = issuer.credentials(record=record, status=None, limit=5, offset=0)
            assert len(found) == 1 and len(found[0].slots) == 2, record
            offer_row = issuer.store.offer(found[0].offer)
            assert offer_row is not None and offer_row.state == ISSUED
            assert offer_row.claims is None
            slots |= set(found[0].slots)
        # After the crash the allocator knows every index in use: new ones never collide.
        env.issuer = issuer
        for i in range(5):
            token = redeem(env, offer(env, record=f"AFTER-{i}"))
            issuer.credential_request(token, credential_request([good_proof(env)]))
            new = issuer.credentials(record=f"AFTER-{i}", status=None, limit=1, offset=0)[0]
            assert not set(new.slots) & slots
            slots |= set(new.slots)
        verify_audit_chain(issuer.store.audit(after=0, limit=100_000))
    finally:
        issuer.close()


def test_audit_log_is_append_only_and_chained(env: Env) -> None:
    offer(env)
    events = env.issuer.audit(limit=500)
    verify_audit_chain(events)
    db = sqlite3.connect(env.settings.store_dir / DB_FILE)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit SET actor = 'mallory'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit")
        # Someone with the file drops the trigger and edits a row: the chain shows it.
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 1")
        db.commit()
    finally:
        db.close()
    with pytest.raises(Error) as caught:
        verify_audit_chain(env.issuer.audit(limit=500))
    assert caught.value.code == "issuer_store_failed"


def test_audit_log_on_postgresql_is_append_only_and_chained(pg_env: Env) -> None:
    env = pg_env
    assert env.settings.database_url is not None
    offer(env)
    verify_audit_chain(env.issuer.audit(limit=500))
    with psycopg.connect(env.settings.database_url, autocommit=True) as db:
        for change in ("UPDATE issuer.audit SET actor = 'mallory'", "DELETE FROM issuer.audit"):
            with pytest.raises(psycopg.Error, match="append-only"):
                db.execute(change.encode())
        # Someone with the database's owner role drops the trigger and edits a row.
        db.execute(b"DROP TRIGGER audit_no_change ON issuer.audit")
        db.execute(b"UPDATE issuer.audit SET actor = 'mallory' WHERE seq = 1")
    with pytest.raises(Error) as caught:
        verify_audit_chain(env.issuer.audit(limit=500))
    assert caught.value.code == "issuer_store_failed"


def test_audit_holds_no_claim_values(any_env: Env) -> None:
    env = any_env
    token = redeem(env, offer(env))
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    text = repr([e.to_json() for e in env.issuer.audit(limit=500)])
    for value in ("Ada", "Lovelace", "1990-12-10", "Lyon"):
        assert value not in text
    actions = [e.action for e in env.issuer.audit(limit=500)]
    assert actions[-3:] == ["offer.create", "token.issue", "credential.issue"]


def test_claim_values_leave_the_database_once_issued(pg_env: Env) -> None:
    env = pg_env
    assert env.settings.database_url is not None
    token = redeem(env, offer(env))
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    env.store.maintain()
    with psycopg.connect(env.settings.database_url) as db:
        rows = db.execute(b"SELECT o::text FROM issuer.offers o").fetchall()
    assert rows and all("Lovelace" not in str(r[0]) for r in rows)
    assert sample_claims()["family_name"] == "Lovelace"


def test_claim_values_leave_the_files_once_issued(env: Env) -> None:
    token = redeem(env, offer(env))
    env.issuer.credential_request(token, credential_request([good_proof(env)]))
    env.store.maintain()
    files = [p for p in env.settings.store_dir.iterdir() if p.name.startswith(DB_FILE)]
    data = b"".join(p.read_bytes() for p in files)
    assert b"Lovelace" not in data and b"1990-12-10" not in data
    assert sample_claims()["family_name"] == "Lovelace"  # the check above looks for real data


def test_one_server_per_store(env: Env) -> None:
    with pytest.raises(Error) as caught:
        SqliteStore(env.settings.store_dir)
    assert caught.value.code == "issuer_store_locked"
    side = SqliteStore(env.settings.store_dir, exclusive=False)  # add-clerk beside a server
    side.close()


def test_a_database_of_a_newer_schema_is_refused(pg_env: Env) -> None:
    env = pg_env
    url = env.settings.database_url
    assert url is not None
    env.issuer.close()
    with psycopg.connect(url) as db:
        db.execute(b"INSERT INTO issuer.schema_version (version) VALUES (99)")
    with pytest.raises(Error) as caught:
        env.issuer = Issuer.open(env.settings, clock=env.clock)
    assert DATABASE_SCHEMA_NEWER.matches(caught.value)
    assert "version 99" in caught.value.message
    env.issuer = Issuer.__new__(Issuer)  # nothing open for the fixture to close
    env.issuer.store = _Closed()  # type: ignore[assignment]
    env.issuer.ledger = _Closed()  # type: ignore[assignment]


class _Closed:
    def close(self) -> None:
        pass


def test_store_of_another_format(tmp_path: Path) -> None:
    SqliteStore(tmp_path, create=True).close()
    db = sqlite3.connect(tmp_path / DB_FILE)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    db.commit()
    db.close()
    with pytest.raises(Error) as caught:
        SqliteStore(tmp_path)
    assert caught.value.code == "issuer_store_format"
