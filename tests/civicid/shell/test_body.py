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
