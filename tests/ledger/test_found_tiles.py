"""A tile host that lies about the tree's size: a reader checks the checkpoint's signature
before it fetches a single tile, so a forged note of a huge tree costs it one request, not
billions (a host answering every path with a full tile kept a mirror fetching for ever)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from civicid.checkpoint import NOTE_SIGNATURE_INVALID
from civicid.errors import Error
from ledger.monitor import TRUST_FILE, client_for, monitor
from ledger.setup import Paths
from ledger.tiles import follow
from tests.ledger.conftest import World

# A tree no ledger holds: 2**40 entries, 2**32 full tiles at level 0 alone.
HUGE = 2**40
# Requests the host answers before it gives up: a reader past this was reading the forgery.
PATIENCE = 50


class CatchAll(BaseHTTPRequestHandler):
    """Answers every tile path with a full tile of zeros; ``checkpoint`` with ``note``."""

    protocol_version = "HTTP/1.1"
    note = b""
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if len(self.requests) > PATIENCE:  # the reader went on: end the test, not the world
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.note if self.path.endswith("/checkpoint") else bytes(8192)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def lying_host(world: World) -> Iterator[tuple[type[CatchAll], str]]:
    # The ledger's own note, its size changed: the signature no longer holds.
    lines = world.ledger.checkpoint.split("\n")
    lines[1] = str(HUGE)
    handler = type("Lying", (CatchAll,), {"note": "\n".join(lines).encode(), "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/t"
    finally:
        server.shutdown()
        server.server_close()


def test_a_forged_checkpoint_of_a_huge_tree_is_refused_before_any_tile(
    world: World, lying_host: tuple[type[CatchAll], str], tmp_path: Path
) -> None:
    handler, url = lying_host
    copy = tmp_path / "mirror"
    client = client_for(None, url, world.genesis.vkey, copy / TRUST_FILE)
    try:
        with pytest.raises(Error) as refused:
            monitor(client, copy)
    finally:
        client.close()
    assert NOTE_SIGNATURE_INVALID.matches(refused.value), refused.value
    assert handler.requests == ["/t/checkpoint"], handler.requests[:5]
    assert not copy.exists() or not (copy / "log.dat").exists()


def test_tiles_of_a_genuine_checkpoint_are_still_read(world: World, tmp_path: Path) -> None:
    world.register()
    tiles = Paths(world.root).tiles
    writer = follow(world.ledger, tiles)
    writer.stop()
    copy = tmp_path / "mirror"
    client = client_for(None, str(tiles), world.genesis.vkey, copy / TRUST_FILE)
    try:
        report = monitor(client, copy)
    finally:
        client.close()
    assert report.audit.checkpoint_verified and report.audit.size == world.ledger.size
