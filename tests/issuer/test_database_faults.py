"""The issuer on PostgreSQL when the database fails: unreachable at start (one line naming
the host, never the password), lost mid-request (a retryable 503, nothing half-written, the
same issuer works again once it is back), restarted under load (every answer given holds,
and the issuer goes on without a restart of its own)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

import civicid.db
from civicid.db import DATABASE_LOST
from civicid.errors import Error
from cli.main import app
from issuer.errors import GRANT_UNKNOWN
from issuer.records import OFFERED
from issuer.store import verify_audit_chain
from tests.issuer.conftest import CONFIG, Clock, Env, LedgerWorld, make_env, sample_claims
from tests.issuer.test_bad_input import credential_request, good_proof, offer, token_request
from tests.postgres import Cluster, free_port

# Seconds a request waits for a connection while the database is down (15 in service): the
# refusal comes quickly here.
TEST_POOL_WAIT = 2.0
# Seconds the issuer may take to find the database again after it is back.
RECOVERY_SECONDS = 30
T = TypeVar("T")


def once_back(call: Callable[[], T]) -> T:
    """``call``'s answer once the database is back, as a client retrying a 503 gets it: the
    pool reconnects by itself within its back-off; every refusal meanwhile is retryable."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        try:
            return call()
        except Error as exc:
            assert DATABASE_LOST.matches(exc), exc
            if time.monotonic() > deadline:
                raise


@pytest.fixture
def env(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    clock: Clock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Env]:
    monkeypatch.setattr(civicid.db, "POOL_WAIT", TEST_POOL_WAIT)
    made = make_env(tmp_path, ledger_world, clock, database_url=database_url)
    yield made
    made.issuer.close()


def test_serve_with_the_database_unreachable_says_so_in_one_line(env: Env) -> None:
    url = f"postgresql://agency:s3cret-pw@127.0.0.1:{free_port()}/issuer"
    result = CliRunner().invoke(
        app,
        ["issuer", "serve", "--data-dir", str(env.data_dir), "--database-url", url],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "127.0.0.1" in lines[0] and lines[0].endswith("[database_unreachable]")
    assert "s3cret-pw" not in result.output


def test_serve_on_a_database_without_an_issuer_store_is_refused(
    env: Env, postgres: Cluster
) -> None:
    empty = postgres.url(postgres.create_database())
    result = CliRunner().invoke(
        app, ["issuer", "serve", "--data-dir", str(env.data_dir), "--database-url", empty]
    )
    assert result.exit_code == 3, result.output
    assert result.output.strip().endswith("[issuer_store_missing]")


def test_a_database_lost_mid_request_writes_nothing_and_the_issuer_goes_on(
    env: Env, postgres: Cluster
) -> None:
    made = offer(env)
    request = token_request(made, made.tx_code)
    before = env.store.counts()
    postgres.kill()
    try:
        with pytest.raises(Error) as caught:
            env.issuer.token(request)
        assert DATABASE_LOST.matches(caught.value)
        assert caught.value.http_status == 503
    finally:
        postgres.start()
    stored = once_back(lambda: env.issuer.offer(made.offer.id))
    assert (stored.state, stored.token_hash) == (OFFERED, None)  # nothing half-written
    assert env.store.counts() == before
    token = env.issuer.token(request).access_token  # the same issuer, no restart
    answer = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert answer.credentials is not None and len(answer.credentials) == 1


def test_an_offer_whose_write_failed_is_nowhere_and_its_code_is_unknown(
    env: Env, postgres: Cluster
) -> None:
    """The offer is put in memory as it is queued: a write the database refused (lost here)
    takes it out of memory too, before the clerk is told, so its code redeems nothing."""
    clerk = env.clerk()
    before = env.store.counts()
    postgres.kill()
    try:
        made, written = env.issuer.create_offer_begin(
            clerk, configuration=CONFIG, record="REG-LOST", claims=sample_claims()
        )
        failure = written.exception()
        assert failure is not None and DATABASE_LOST.matches(failure)
        offer_id = made.offer.id
        assert offer_id not in env.issuer.offers.by_id
        assert made.offer.code_hash not in env.issuer.offers.by_code
    finally:
        postgres.start()
    assert once_back(env.store.counts)["offers"] == before["offers"]
    assert env.store.offer(offer_id) is None
    with pytest.raises(Error) as caught:
        env.issuer.token(token_request(made, made.tx_code))
    assert GRANT_UNKNOWN.matches(caught.value)


def test_a_database_restarted_under_load_loses_no_answer_given(env: Env, postgres: Cluster) -> None:
    stop = threading.Event()
    given: list[str] = []
    refused: list[str] = []

    def work(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            record = f"LOAD-{n}-{i}"
            try:
                made = offer(env, record=record)
                token = env.issuer.token(token_request(made, made.tx_code)).access_token
                env.issuer.credential_request(token, credential_request([good_proof(env)]))
            except Error as exc:
                refused.append(exc.code)
                continue
            given.append(record)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    while len(given) < 8:
        threading.Event().wait(0.05)
    postgres.restart()
    done_before = len(given)
    while len(given) < done_before + 8:  # it goes on by itself
        threading.Event().wait(0.05)
    stop.set()
    for w in workers:
        w.join()
    assert set(refused) <= {"database_lost"}
    for record in given:
        found = env.issuer.credentials(record=record, status=None, limit=2, offset=0)
        assert len(found) == 1, record
    verify_audit_chain(env.issuer.audit(limit=100_000))
