"""A store whose writer has failed for good (a refused write after which the issuer's memory
could not be read again from disk) refuses every later write until it is reopened, though
its reads answer again: ``/health/ready`` says so (503 ``service_not_ready`` naming the
store's code), where it said ready because a read answered."""

from __future__ import annotations

import httpx
import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.errors import STORE_FAILED
from issuer.records import Clerk
from issuer.store import Batch, GroupCommit, PutClerk
from tests.issuer.conftest import Env
from tests.issuer.test_readiness import assert_not_ready, ready_answer


def a_clerk() -> PutClerk:
    return PutClerk(Clerk(id="c-late", name="late", scopes=("offers",), key_hash="h", created=1))


def fail_for_good(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch the disk refuses, then the memory's reading again refused too (the disk's
    reads failing for that moment); the reads answer again afterwards."""
    store = env.issuer.store
    assert isinstance(store, GroupCommit)

    def refused(batch: Batch) -> list[Error | None]:
        raise STORE_FAILED("write refused: disk I/O error")

    def unreadable() -> None:
        raise STORE_FAILED("read failed: disk I/O error")

    with monkeypatch.context() as patched:
        patched.setattr(store, "_commit", refused)
        patched.setattr(store, "active_offers", unreadable)
        with pytest.raises(Error) as refusal:
            store.write([a_clerk()])
        assert refusal.value.code == "issuer_store_failed"
    with pytest.raises(Error) as sticky:  # the disk is back; the writer is not
        store.write([a_clerk()])
    assert sticky.value.code == "issuer_store_failed"
    assert "must be reopened" in sticky.value.message
    assert store.clerk("c-late") is None  # reads answer


def test_not_ready_once_the_writer_failed_for_good(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        assert httpx.get(url + "/health/ready", timeout=30).json() == {"status": "ready"}
        fail_for_good(env, monkeypatch)
        answer = ready_answer(url, 503)
        assert_not_ready(answer, "[issuer_store_failed]")
        said = answer.json()["error_description"]
        assert "writes refused until a restart: write refused: disk I/O error" in said, said
        assert httpx.get(url + "/health", timeout=30).json() == {"status": "ok"}
    store = env.issuer.store
    assert isinstance(store, GroupCommit) and store.failure is not None
    assert store.failure.code == "issuer_store_failed"


def test_a_store_that_never_failed_has_no_failure(env: Env) -> None:
    store = env.issuer.store
    assert isinstance(store, GroupCommit)
    store.write([a_clerk()])
    assert store.failure is None
