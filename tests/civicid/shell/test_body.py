"""A request's body as the routes read it: a body the client cut short is our code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from civicid.errors import Error
from civicid.shell.body import Body

SCOPE: dict[str, Any] = {"type": "http", "headers": [(b"content-length", b"10")]}


def read_all(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every message the route reads from ``Body`` until the body is complete."""

    async def run() -> list[dict[str, Any]]:
        pending = iter(messages)

        async def receive() -> dict[str, Any]:
            return next(pending)

        body = Body(SCOPE, receive, max_bytes=100, timeout=5.0)
        read = [await body()]
        while read[-1].get("more_body", False):
            read.append(await body())
        return read

    return asyncio.run(run())


def test_a_body_cut_short_by_a_disconnect_is_request_body_incomplete() -> None:
    first = {"type": "http.request", "body": b"12345", "more_body": True}
    with pytest.raises(Error) as caught:
        read_all([first, {"type": "http.disconnect"}])
    assert caught.value.code == "request_body_incomplete"


def test_a_whole_body_is_read_as_sent() -> None:
    parts = [
        {"type": "http.request", "body": b"12345", "more_body": True},
        {"type": "http.request", "body": b"67890", "more_body": False},
    ]
    assert read_all(parts) == parts


class Cycle:
    """A server's request cycle as uvicorn's: ``message_event`` set while a message waits."""

    def __init__(self, messages: list[dict[str, Any]], arrived: bool) -> None:
        self.messages = iter(messages)
        self.message_event = asyncio.Event()
        if arrived:
            self.message_event.set()

    async def receive(self) -> dict[str, Any]:
        await self.message_event.wait()
        return next(self.messages)


def test_a_body_already_arrived_is_taken_without_a_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    armed: list[float] = []
    real = asyncio.timeout

    def timeout(delay: float) -> Any:
        armed.append(delay)
        return real(delay)

    monkeypatch.setattr(asyncio, "timeout", timeout)
    whole = {"type": "http.request", "body": b"1234567890", "more_body": False}

    async def run(arrived: bool) -> dict[str, Any]:
        cycle = Cycle([whole], arrived)
        message: dict[str, Any] = await Body(SCOPE, cycle.receive, max_bytes=100, timeout=5.0)()
        return message

    assert asyncio.run(run(arrived=True)) == whole
    assert armed == []


def test_a_body_not_yet_arrived_is_waited_for_under_the_deadline() -> None:
    async def run() -> None:
        cycle = Cycle([], arrived=False)  # nothing ever arrives
        await Body(SCOPE, cycle.receive, max_bytes=100, timeout=0.05)()

    with pytest.raises(Error) as caught:
        asyncio.run(run())
    assert caught.value.code == "request_body_timeout"
