"""The issuer's ``issuer.db`` removed or replaced while the issuer runs (a clean-up or restore
script): SQLite goes on committing into the file it opened, which no restart finds, so every
credential issued after it (and the status-list slots the agency needs to revoke it) would be
acknowledged and then lost. Now each commit first asks whether the path still names the file
opened: a write is refused ``issuer_store_failed`` naming the path, and ``/health/ready``
answers 503 ``service_not_ready`` with that code."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.errors import STORE_FAILED
from tests.issuer.conftest import CONFIG, Env, sample_claims
from tests.issuer.test_readiness import assert_not_ready, ready_answer


def _removed(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)


def _replaced(path: Path) -> None:
    copy = path.with_name("issuer.db.restored")
    shutil.copyfile(path, copy)
    os.replace(copy, path)


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "removed": (_removed, "is gone"),
    "replaced": (_replaced, "is another file than the one this process opened"),
}


def _offer(env: Env) -> object:
    return env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-1", claims=sample_claims()
    )


@pytest.mark.parametrize("change", list(CHANGES))
def test_nothing_more_is_committed_and_readiness_says_so(env: Env, change: str) -> None:
    path = env.data_dir / "issuer" / "issuer.db"
    assert path.exists(), sorted(p.name for p in path.parent.iterdir())
    _offer(env)  # the store as opened takes writes
    edit, why = CHANGES[change]
    edit(path)
    with pytest.raises(Error) as raised:
        _offer(env)
    assert STORE_FAILED.matches(raised.value), raised.value
    assert f"{path} {why}" in raised.value.message
    assert "removed or replaced while the issuer ran" in raised.value.message
    with pytest.raises(Error) as raised:  # and every later write, in the same words once
        _offer(env)
    assert STORE_FAILED.matches(raised.value), raised.value
    assert why in raised.value.message and "(issuer_store_failed)" not in raised.value.message
    with pytest.raises(Error) as raised:
        env.store.require_file()
    assert STORE_FAILED.matches(raised.value), raised.value
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        assert_not_ready(ready_answer(url, 503), f"{why}")
        assert "[issuer_store_failed]" in httpx.get(url + "/health/ready", timeout=30).text


def test_the_store_as_opened_is_ready(env: Env) -> None:
    env.store.require_file()
    _offer(env)
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        assert ready_answer(url, 200).json() == {"status": "ready"}
