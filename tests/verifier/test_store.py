"""The desk's store, on SQLite and on PostgreSQL alike: "use once" holds across processes
sharing the store, also when they race; a decision, its receipt and its audit record commit
together; nothing of a claim's value is kept. Then what only one of them has: the SQLite
file's modes, and PostgreSQL's faults (unreachable, lost, restarted, a newer schema)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from civicid.db import DATABASE_LOST, DATABASE_SCHEMA_NEWER, DATABASE_UNREACHABLE
from civicid.errors import Error
from tests.postgres import Cluster, free_port
from verifier.pg_store import PgStore
from verifier.store import (
    SWEEP_SECONDS,
    UNANSWERED_KEPT_SECONDS,
    DeskStore,
    PendingRequest,
    Store,
)

NOW = 1_780_000_000
# How a child process opens the store it is given: a file path or a postgresql:// URL.
OPEN_IN_CHILD = (
    "import sys, pathlib\n"
    "from verifier.store import Store\n"
    "from verifier.pg_store import PgStore\n"
    "from civicid.errors import Error\n"
    "where = sys.argv[1]\n"
    "store = PgStore(where) if where.startswith('postgresql://') else Store(pathlib.Path(where))\n"
)

Opener = Callable[[], DeskStore]


def opener(where: str) -> Opener:
    if where.startswith("postgresql://"):
        return lambda: PgStore(where)
    return lambda: Store(Path(where))


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the store is: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "verifier.db")
    return str(request.getfixturevalue("database_url"))


def spend_in_another_process(where: str, nonce: str) -> str:
    code = OPEN_IN_CHILD + (
        "try:\n"
        "    store.use_nonce(sys.argv[2], 1)\n"
        "    print('spent')\n"
        "except Error as exc:\n"
        "    print(exc.code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, where, nonce], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_a_nonce_is_spent_once_across_processes(where: str) -> None:
    store = opener(where)()
    assert spend_in_another_process(where, "n" * 24) == "spent"
    with pytest.raises(Error) as caught:
        store.use_nonce("n" * 24, NOW)
    assert caught.value.code == "presentation_replayed"
    store.use_nonce("m" * 24, NOW)
    assert spend_in_another_process(where, "m" * 24) == "presentation_replayed"
    store.close()


def request(state: str = "s" * 24, n: int = 1) -> PendingRequest:
    return PendingRequest(
        f"id{n}", state, f"t{n}".ljust(24, "t"), f"n{n}".ljust(24, "n"), "housing-benefit",
        "a.b.c", NOW, NOW + 300,
    )  # fmt: skip


def test_request_object_once_and_answer_once(where: str) -> None:
    store = opener(where)()
    store.add_request(request())
    other = opener(where)()  # another desk process
    assert other.fetch_request_object("id1", NOW + 1) == "a.b.c"
    with pytest.raises(Error) as caught:
        store.fetch_request_object("id1", NOW + 2)
    assert caught.value.code == "request_already_fetched"
    claimed = store.claim_answer("s" * 24, NOW + 3)
    assert (claimed.id, claimed.answered) == ("id1", None)
    with pytest.raises(Error) as caught:
        other.claim_answer("s" * 24, NOW + 4)
    assert caught.value.code == "request_already_answered"
    store.save_decision("s" * 24, {"eligible": True}, "r.e.c", {"decision": "eligible"})
    assert other.by_transaction("t1".ljust(24, "t")).decision == {"eligible": True}
    assert other.audit_trail() == [{"decision": "eligible"}]
    for s in (store, other):
        s.close()


def test_an_answer_claimed_with_its_nonce_spent_in_one_commit(where: str) -> None:
    """The claim spends the request's nonce with it: another process then finds the nonce
    spent; a nonce spent before is reported (the replay step refuses it), the claim still
    taken; a claim refused spends nothing."""
    store = opener(where)()
    store.add_request(request())
    store.add_request(request("r" * 24, 2))
    store.add_request(request("q" * 24, 3))
    claimed, fresh = store.claim_answer_spending_nonce("s" * 24, NOW + 1)
    assert (claimed.id, claimed.nonce, claimed.answered, fresh) == (
        "id1",
        "n1".ljust(24, "n"),
        None,
        True,
    )
    assert spend_in_another_process(where, "n1".ljust(24, "n")) == "presentation_replayed"
    store.use_nonce("n2".ljust(24, "n"), NOW)  # spent before the answer came
    claimed, fresh = store.claim_answer_spending_nonce("r" * 24, NOW + 1)
    assert (claimed.id, fresh) == ("id2", False)
    with pytest.raises(Error) as caught:
        store.claim_answer_spending_nonce("r" * 24, NOW + 2)
    assert caught.value.code == "request_already_answered"
    with pytest.raises(Error) as caught:  # expired: neither claimed nor its nonce spent
        store.claim_answer_spending_nonce("q" * 24, NOW + 300)
    assert caught.value.code == "request_expired"
    assert store.by_state("q" * 24).answered is None
    assert spend_in_another_process(where, "n3".ljust(24, "n")) == "spent"
    with pytest.raises(Error) as caught:
        store.claim_answer_spending_nonce("nope", NOW)
    assert caught.value.code == "request_unknown"
    store.close()


RACERS = 2
RACED = 40


def test_each_answer_is_claimed_once_by_two_processes_racing(where: str, tmp_path: Path) -> None:
    """Two desk processes try to claim every request at the same moment: each request is
    won by exactly one of them, and each object is fetched by exactly one."""
    store = opener(where)()
    states = [f"race{n}".ljust(24, "s") for n in range(RACED)]
    for n, state in enumerate(states):
        store.add_request(request(state, n))
    go = tmp_path / "go"
    code = OPEN_IN_CHILD + (
        "import json, time\n"
        "go = pathlib.Path(sys.argv[2])\n"
        "while not go.exists():\n"
        "    time.sleep(0.005)\n"
        "won, fetched = [], []\n"
        f"for n in range({RACED}):\n"
        "    try:\n"
        f"        store.fetch_request_object(f'id{{n}}', {NOW + 1})\n"
        "        fetched.append(n)\n"
        "    except Error as exc:\n"
        "        assert exc.code == 'request_already_fetched', exc.code\n"
        "    try:\n"
        f"        won.append(store.claim_answer(f'race{{n}}'.ljust(24, 's'), {NOW + 2}).state)\n"
        "    except Error as exc:\n"
        "        assert exc.code == 'request_already_answered', exc.code\n"
        "print(json.dumps([won, fetched]))\n"
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", code, where, str(go)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(RACERS)
    ]
    go.touch()
    results = [json.loads(r.communicate(timeout=120)[0]) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    won = [state for result in results for state in result[0]]
    fetched = [n for result in results for n in result[1]]
    assert sorted(won) == sorted(states)  # every one claimed, none twice
    assert sorted(fetched) == list(range(RACED))
    store.close()


def test_expired_and_purged(where: str) -> None:
    store = opener(where)()
    store.add_request(request())
    with pytest.raises(Error) as caught:
        store.claim_answer("s" * 24, NOW + 300)
    assert caught.value.code == "request_expired"
    with pytest.raises(Error) as caught:
        store.fetch_request_object("id1", NOW + 300)
    assert caught.value.code == "request_expired"
    with pytest.raises(Error) as caught:
        store.fetch_request_object("nope", NOW)
    assert caught.value.code == "request_unknown"
    with pytest.raises(Error) as caught:
        store.claim_answer("nope", NOW)
    assert caught.value.code == "request_unknown"
    assert store.by_state("s" * 24).status(NOW + 300) == "expired"
    assert store.purge(NOW + 300 + 25 * 3600) == 1
    with pytest.raises(Error) as caught:
        store.by_state("s" * 24)
    assert caught.value.code == "request_unknown"
    store.close()


def test_a_flood_of_requests_nobody_answers_is_swept_while_the_desk_runs(where: str) -> None:
    """Asking for a request needs no login: a flood of them left every row for a day, and
    for as long as the desk ran (old requests went only when a desk started). A new request
    now sweeps the unanswered ones ``UNANSWERED_KEPT_SECONDS`` past their expiry; a request
    answered is kept its day, for a late poll of its decision."""
    store = opener(where)()
    store.add_request(request("a" * 24, 1))
    store.claim_answer("a" * 24, NOW + 1)
    store.save_decision("a" * 24, {"eligible": True}, None, {"decision": "eligible"})
    for n in range(2, 12):  # the flood: never fetched, never answered
        store.add_request(request(f"{n}".ljust(24, "f"), n))
    later = NOW + 300 + UNANSWERED_KEPT_SECONDS + 1
    # Still shown as expired until then, and through the sweep's own interval.
    assert store.by_state("2".ljust(24, "f")).status(later - 2) == "expired"
    late = PendingRequest(
        "late", "l" * 24, "l" * 24, "l" * 24, "housing-benefit", "a.b.c", later, later + 300
    )
    store.add_request(late)
    for n in range(2, 12):
        with pytest.raises(Error) as caught:
            store.by_state(f"{n}".ljust(24, "f"))
        assert caught.value.code == "request_unknown"
    assert store.by_state("a" * 24).status(later) == "decided"
    assert store.by_state("l" * 24).status(later) == "waiting"
    store.close()


def test_a_sweep_comes_at_most_once_a_minute(where: str) -> None:
    """One sweep per ``SWEEP_SECONDS`` per process, in a new request's commit."""
    store = opener(where)()
    store.add_request(request("a" * 24, 1))  # sweeps: the next is due a minute on
    # Long expired, so the first sweep to come removes it.
    old = PendingRequest("o", "o" * 24, "o" * 24, "o" * 24, "p", "a.b.c", NOW + 1, NOW - 3600)
    store.add_request(old)
    assert store.by_state("o" * 24).status(NOW + 1) == "expired"  # no sweep within the minute
    due = PendingRequest(
        "d", "d" * 24, "d" * 24, "d" * 24, "p", "a.b.c", NOW + SWEEP_SECONDS, NOW + 900
    )
    store.add_request(due)
    with pytest.raises(Error) as caught:
        store.by_state("o" * 24)
    assert caught.value.code == "request_unknown"
    assert store.by_state("a" * 24).status(NOW + SWEEP_SECONDS) == "waiting"
    store.close()


def test_status_uris_are_remembered_once_each(where: str) -> None:
    store = opener(where)()
    store.remember_status_uri("https://b/status/1", NOW)
    store.remember_status_uri("https://a/status/1", NOW)
    store.remember_status_uri("https://b/status/1", NOW + 1)
    assert opener(where)().status_uris() == ["https://a/status/1", "https://b/status/1"]
    store.close()


def test_a_sqlite_store_of_another_version_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "verifier.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    with pytest.raises(Error) as caught:
        Store(path)
    assert caught.value.code == "verifier_store_failed"


def test_a_postgresql_schema_of_a_newer_version_is_refused(database_url: str) -> None:
    PgStore(database_url).close()
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO verifier.schema_version (version) VALUES (99)")
    with pytest.raises(Error) as caught:
        PgStore(database_url)
    assert DATABASE_SCHEMA_NEWER.matches(caught.value)


def test_a_database_unreachable_at_start_is_refused_in_one_line() -> None:
    url = f"postgresql://desk:s3cret@127.0.0.1:{free_port()}/desk"
    with pytest.raises(Error) as caught:
        PgStore(url)
    assert DATABASE_UNREACHABLE.matches(caught.value)
    assert "127.0.0.1" in caught.value.message and "s3cret" not in str(caught.value)


def test_a_database_lost_mid_request_writes_nothing_and_recovers_without_a_restart(
    postgres: Cluster, database_url: str
) -> None:
    store = PgStore(database_url, wait=2)
    store.add_request(request())
    store.claim_answer("s" * 24, NOW + 1)
    postgres.kill()
    try:
        with pytest.raises(Error) as caught:
            store.save_decision("s" * 24, {"eligible": True}, "r.e.c", {"decision": "eligible"})
        assert DATABASE_LOST.matches(caught.value)
        assert caught.value.http_status == 503
    finally:
        postgres.start()
    # As a client retrying a 503: the pool reconnects by itself within its back-off.
    deadline = time.monotonic() + 30
    while True:
        try:
            found = store.by_state("s" * 24)
            break
        except Error as exc:
            assert DATABASE_LOST.matches(exc), exc
            assert time.monotonic() < deadline, "the store did not find the database again"
    assert found.decision is None  # nothing half-written
    assert store.audit_trail() == []
    store.save_decision("s" * 24, {"eligible": True}, "r.e.c", {"decision": "eligible"})
    assert store.by_state("s" * 24).decision == {"eligible": True}
    store.close()


def test_the_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """Requests and decisions are nobody else's: the folder 0700, the file 0600."""
    home = tmp_path / "verifier"
    old = os.umask(0o022)
    try:
        Store(home / "verifier.db").close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "verifier.db").stat().st_mode) == 0o600


def test_a_store_found_open_to_others_is_made_private(tmp_path: Path) -> None:
    """As an earlier ``civicid up`` left it: 0755 and 0644."""
    home = tmp_path / "verifier"
    Store(home / "verifier.db").close()
    home.chmod(0o755)
    (home / "verifier.db").chmod(0o644)
    Store(home / "verifier.db").close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "verifier.db").stat().st_mode) == 0o600
