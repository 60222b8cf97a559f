"""A recovery that fails after it began the new store (the ledger gone before the lists
were published back) leaves no store behind, on PostgreSQL as on SQLite: the next attempt
runs, where it was refused ``issuer_store_present`` over the half-made store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import civicid.db
from civicid.errors import Error
from civicid.status_list import STATUS_SUSPENDED
from cli.harness import free_port
from issuer.agency import ledger_client
from issuer.recovery import recover
from issuer.service import Issuer
from issuer.stores import store_exists
from tests.issuer.conftest import Clock, Env, LedgerWorld, make_env
from tests.issuer.test_database_faults import TEST_POOL_WAIT
from tests.issuer.test_recovery import history, lose_store, statuses, where


@pytest.fixture
def pg_env(
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


def lose_database_store(env: Env) -> None:
    env.issuer.close()
    assert env.settings.database_url is not None
    with psycopg.connect(env.settings.database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA issuer CASCADE")


def fail_then_recover(env: Env) -> None:
    suspended, _, _ = history(env)
    places = where(env, suspended)
    if env.settings.database_url is None:
        lose_store(env)
    else:
        lose_database_store(env)
    away = env.settings.model_copy(update={"ledger_url": f"http://127.0.0.1:{free_port()}"})
    # The lists read from the ledger; publishing them back finds it gone.
    with ledger_client(env.settings) as reader, pytest.raises(Error) as caught:
        recover(away, clock=env.clock, client=reader)
    assert caught.value.code == "http_unreachable"
    assert not store_exists(env.settings)
    assert set(statuses(env, places).values()) == {STATUS_SUSPENDED}
    done = recover(env.settings, clock=env.clock)
    assert [r.suspended for r in done.lists] == [2]
    env.issuer = Issuer.open(env.settings, clock=env.clock)
    assert [r.number for r in env.issuer.store.lists()][-1] == done.fresh.number


def test_a_failed_recovery_leaves_no_store_in_the_database(pg_env: Env) -> None:
    fail_then_recover(pg_env)


def test_a_failed_recovery_leaves_no_store_file(env: Env) -> None:
    fail_then_recover(env)
