"""A change that another process sharing the store beat is read and tried again, up to
MAX_CONFLICT_RETRIES times: beaten that often, the last try still makes it; beaten once more,
the conflict is the answer. The other process is played by a store whose first writes of an
offer fail with ``issuer_store_conflict`` (as a write on a row changed since it was read does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.oid4vci import TokenRequest
from issuer.errors import STORE_CONFLICT, TX_CODE_WRONG
from issuer.service import MAX_CONFLICT_RETRIES
from issuer.store import Op, PutOffer
from tests.issuer.conftest import Clock, Env, LedgerWorld, make_env
from tests.issuer.test_bad_input import offer, token_request


def beaten(env: Env, monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The store's next ``times`` writes of an offer lose to another process; the list
    counts every write of an offer asked for."""
    asked: list[int] = []
    submit: Callable[[list[Op]], Future[None]] = env.issuer.store.submit

    def losing(ops: list[Op], refused: Callable[[], None] | None = None) -> Future[None]:
        if not any(isinstance(op, PutOffer) for op in ops):
            return submit(ops, refused=refused)
        asked.append(len(asked))
        if len(asked) > times:
            return submit(ops, refused=refused)
        if refused is not None:  # as the store does, before the refusal is told
            refused()
        lost: Future[None] = Future()
        lost.set_exception(STORE_CONFLICT("changed by another process since it was read"))
        return lost

    monkeypatch.setattr(env.issuer.store, "submit", losing)
    return asked


@pytest.fixture
def shared(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> Iterator[Env]:
    env = make_env(tmp_path, ledger_world, clock, database_url=database_url)
    yield env
    env.issuer.close()


def test_a_staff_change_beaten_as_often_as_allowed_is_made_on_the_last_try(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = beaten(env, monkeypatch, MAX_CONFLICT_RETRIES)
    created = offer(env)
    assert len(asked) == MAX_CONFLICT_RETRIES + 1
    assert env.store.offer(created.offer.id) is not None


def test_a_staff_change_beaten_once_more_is_refused_as_a_conflict(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = beaten(env, monkeypatch, MAX_CONFLICT_RETRIES + 1)
    with pytest.raises(Error) as caught:
        offer(env)
    assert caught.value.code == STORE_CONFLICT.name
    assert len(asked) == MAX_CONFLICT_RETRIES + 1


def wrong_code(env: Env) -> TokenRequest:
    """A token request for a new offer, with a transaction code that differs in every digit."""
    created = offer(env)
    assert created.tx_code is not None
    return token_request(created, "".join("1" if c == "0" else "0" for c in created.tx_code))


def test_a_wrong_code_counted_after_as_many_conflicts_as_allowed_is_answered(
    shared: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = wrong_code(shared)
    asked = beaten(shared, monkeypatch, MAX_CONFLICT_RETRIES)
    with pytest.raises(Error) as caught:
        shared.issuer.token(request)
    assert caught.value.code == TX_CODE_WRONG.name
    assert len(asked) == MAX_CONFLICT_RETRIES + 1


def test_a_wrong_code_beaten_once_more_is_answered_as_a_conflict(
    shared: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = wrong_code(shared)
    asked = beaten(shared, monkeypatch, MAX_CONFLICT_RETRIES + 1)
    with pytest.raises(Error) as caught:
        shared.issuer.token(request)
    assert caught.value.code == STORE_CONFLICT.name
    assert len(asked) == MAX_CONFLICT_RETRIES + 1
