"""A recovery on PostgreSQL that fails after it began the new store (the ledger gone before
the lists were published back) leaves no store behind, as on SQLite
(tests/issuer/test_recovery.py): the next attempt runs, where it was refused
``issuer_store_present`` over the half-made store."""

from __future__ import annotations

import socket

import psycopg
import pytest

from civicid.errors import Error
from civicid.status_list import STATUS_SUSPENDED
from issuer.agency import ledger_client
from issuer.recovery import recover
from issuer.service import Issuer
from issuer.stores import store_exists
from tests.issuer.conftest import Env
from tests.issuer.test_database_faults import env as env  # the issuer on PostgreSQL
from tests.issuer.test_recovery import history, statuses, where


def lose_database_store(env: Env) -> None:
    env.issuer.close()
    assert env.settings.database_url is not None
    with psycopg.connect(env.settings.database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA issuer CASCADE")


def test_a_failed_recovery_leaves_no_store_in_the_database(env: Env) -> None:
    suspended, _, _ = history(env)
    places = where(env, suspended)
    lose_database_store(env)
    # The lists read from the ledger; publishing them back finds it gone: a port held bound
    # and never listening refuses every connection (a port found free could be taken).
    with socket.socket() as gone, ledger_client(env.settings) as reader:
        gone.bind(("127.0.0.1", 0))
        away = env.settings.model_copy(
            update={"ledger_url": f"http://127.0.0.1:{gone.getsockname()[1]}"}
        )
        with pytest.raises(Error) as caught:
            recover(away, clock=env.clock, client=reader)
    assert caught.value.code == "http_unreachable", caught.value
    assert not store_exists(env.settings)
    assert set(statuses(env, places).values()) == {STATUS_SUSPENDED}
    done = recover(env.settings, clock=env.clock)
    assert [r.suspended for r in done.lists] == [2]
    env.issuer = Issuer.open(env.settings, clock=env.clock)
    assert [r.number for r in env.issuer.store.lists()][-1] == done.fresh.number
