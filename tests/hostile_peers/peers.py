"""Lying peers as real HTTP servers on 127.0.0.1: a proxy in front of a genuine server (a
ledger, a mirror) that passes every request on and alters the answers ``lie`` picks, and a
witness that cosigns whatever a log sends it. Clients reach them over sockets exactly as
they reach the genuine ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.cosignature import CosignerKey
from civicid.errors import Code, Error
from cli.harness import free_port, serving
from tests.security.test_fork_across_client_runs import served

Scope = dict[str, Any]

__all__ = ["Answer", "CosigningAnything", "Lie", "Proxy", "files", "lying", "refused", "served"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as the genuine server gave it (or as a lie tells it)."""

    status: int
    body: bytes
    content_type: str = "application/json"

    def json(self) -> Any:
        return json.loads(self.body)

    @classmethod
    def of_json(cls, data: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(data).encode())


# (path, query, the genuine answer) -> the answer told, or None to tell it as it is.
Lie = Callable[[str, dict[str, str], Answer], Answer | None]


async def request_body(scope: Scope, receive: Any, send: Any) -> bytes | None:
    """The body of an HTTP request, whole; None for the lifespan (answered here)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return None
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = bool(message.get("more_body"))
    return body


async def answer_with(send: Any, status: int, body: bytes, content_type: str) -> None:
    head = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


class Proxy:
    """An ASGI app passing each request to ``upstream`` over HTTP; its answers go through
    ``lie``. ``lied`` counts the answers it changed."""

    def __init__(self, upstream: str, lie: Lie) -> None:
        self.upstream, self.lie = upstream, lie
        self.lied = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        body = await request_body(scope, receive, send)
        if body is None:
            return
        query = scope["query_string"].decode("ascii")
        url = f"{self.upstream}{scope['path']}" + (f"?{query}" if query else "")
        headers = {k.decode(): v.decode() for k, v in scope["headers"]
                   if k.lower() in (b"content-type", b"accept")}  # fmt: skip
        async with httpx.AsyncClient(timeout=30) as client:
            got = await client.request(scope["method"], url, content=body, headers=headers)
        genuine = Answer(got.status_code, got.content, got.headers.get("content-type", ""))
        params = dict(httpx.QueryParams(query))
        told = self.lie(scope["path"], params, genuine)
        if told is None:
            told = genuine
        else:
            self.lied += 1
        await answer_with(send, told.status, told.body, told.content_type)


@contextmanager
def lying(upstream: str, lie: Lie) -> Iterator[tuple[str, Proxy]]:
    """``lie`` told in front of ``upstream``, served on 127.0.0.1: its URL and the proxy."""
    proxy = Proxy(upstream, lie)
    with serving(proxy, free_port()) as url:
        yield url, proxy


@dataclass
class CosigningAnything:
    """A witness that lies: it answers C2SP tlog-witness ``add-checkpoint`` with a
    cosignature for any checkpoint the log signed, whatever it cosigned before (a split
    view, a rollback). ``cosigned``: the (size, root) of each, in order."""

    key: CosignerKey
    log_vkey: str
    now: int
    cosigned: list[tuple[int, bytes]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        body = await request_body(scope, receive, send)
        if body is None:
            return
        _, _, note = body.decode().partition("\n\n")
        if scope["path"] == "/health":  # up: what a test waits for before using it
            note = ""
        try:
            checkpoint = open_checkpoint(note, NoteVerifier(self.log_vkey))
        except Error:
            status, answer = (200 if scope["path"] == "/health" else 403), b""
        else:
            self.cosigned.append((checkpoint.size, checkpoint.root))
            status, answer = 200, self.key.cosign(checkpoint, self.now).encode()
        await answer_with(send, status, answer, "text/plain")


def refused(code: Code, call: Callable[[], object]) -> Error:
    """``call`` raises our error of ``code`` (the code asserted, not merely "raises")."""
    try:
        call()
    except Error as exc:
        assert code.matches(exc), f"{exc.code}: {exc.message}"
        return exc
    raise AssertionError(f"not refused: expected {code.name}")


def files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes: what "nothing stored changed" compares."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}  # fmt: skip
