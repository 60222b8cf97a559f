"""The desk's blocking calls run on its own thread pool (``in_thread``): the result and the
refusal come back to the caller as they would from a direct call, with the caller's context
variables; the page's poll on the SQLite store is answered without any hand-off, and a
request's creation still hands its write to a thread."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error
from verifier import app as desk_app
from verifier.errors import REQUEST_UNKNOWN
from verifier.routes import deps
from verifier.service import Verifier

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def test_a_call_in_a_desk_thread_returns_or_raises_as_called_directly() -> None:
    def work(a: int, b: int, *, scale: int) -> tuple[int, str, str]:
        return (a + b) * scale, WHO.get(), threading.current_thread().name

    def refuse() -> None:
        raise REQUEST_UNKNOWN("no such request")

    async def main() -> tuple[tuple[int, str, str], Error]:
        WHO.set("the page")
        done = await deps.in_thread(work, 2, 3, scale=10)
        with pytest.raises(Error) as refused:
            await deps.in_thread(refuse)
        return done, refused.value

    (total, who, thread), refusal = asyncio.run(main())
    assert (total, who) == (50, "the page")
    assert thread.startswith("desk") and thread != threading.current_thread().name
    assert refusal.code == "request_unknown"


@pytest.fixture
def handed(verifier: Verifier, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the calls the desk's routes hand to a thread."""
    names: list[str] = []
    real = deps.in_thread

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    for module in ("verifier.routes.desk", "verifier.routes.oid4vp"):
        monkeypatch.setattr(f"{module}.in_thread", counted)
    yield names


def test_the_poll_reads_in_place_and_a_new_request_writes_on_a_thread(
    verifier: Verifier, handed: list[str]
) -> None:
    with TestClient(desk_app.create_app(verifier=verifier), base_url="http://localhost") as client:
        created = client.post("/requests", json={"policy": "housing-benefit"})
        assert created.status_code == 201
        assert handed == ["create_request"]
        polled = client.get(created.json()["status_url"])
        assert polled.status_code == 200 and polled.json()["status"] == "waiting"
        unknown = client.get("/transactions/unknown")
        assert unknown.status_code == 404 and unknown.json()["error"] == "request_unknown"
    assert handed == ["create_request"]  # the poll, found or not, handed nothing over
