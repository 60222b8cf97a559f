"""A rogue mirror for client tests: it sits between a ledger client and a real ledger, passes
answers through, and rewrites the ones a test names (a lying replica, a man in the middle)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from civicid.ledger_client import LedgerClient
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World

# (request, decoded JSON answer) -> the answer to send instead, or (HTTP status, answer)
Rewrite = Callable[[httpx.Request, dict[str, Any]], Any]


class Mirror:
    def __init__(self, url: str) -> None:
        self.upstream = httpx.Client(base_url=url)
        self.rewrites: dict[str, Rewrite] = {}

    def fetch(self, request: httpx.Request) -> httpx.Response:
        return self.upstream.send(
            httpx.Request(
                request.method, request.url, headers=request.headers, content=request.content
            )
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        real = self.fetch(request)
        path = request.url.path
        rewrite = next((r for p, r in self.rewrites.items() if path.startswith(p)), None)
        if rewrite is None or not real.content.startswith(b"{"):
            return httpx.Response(
                real.status_code,
                content=real.content,
                headers={"content-type": real.headers.get("content-type", "")},
            )
        body = rewrite(request, real.json())
        status, body = body if isinstance(body, tuple) else (real.status_code, body)
        return httpx.Response(
            status,
            content=json.dumps(body).encode(),
            headers={"content-type": real.headers["content-type"]},
        )

    def client(self, world: World, **options: Any) -> LedgerClient:
        return LedgerClient(
            str(self.upstream.base_url),
            world.genesis.vkey,
            transport=httpx.MockTransport(self.handle),
            clock=lambda: world.clock.now,
            **options,
        )


@contextmanager
def mirrored(world: World) -> Iterator[Mirror]:
    """The world's ledger served on loopback, behind a mirror that passes everything through."""
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        mirror = Mirror(url)
        try:
            yield mirror
        finally:
            mirror.upstream.close()
