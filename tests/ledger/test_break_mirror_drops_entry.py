"""A ledger (or the mirror a mirror follows) that leaves one entry out, serving the next one
in its place: the mirror refuses the round (the entries do not make the signed root), keeps
the copy it had and serves nothing of the lie."""

from __future__ import annotations

from pathlib import Path

import httpx

from civicid.ledger_client import LedgerClient
from ledger.monitor import TRUST_FILE
from tests.ledger.conftest import World
from tests.ledger.test_mirror_follows import follower, served


class OneLeftOut(httpx.BaseTransport):
    """Entry ``left_out`` is never served: asked for it, the one after it is (every other
    entry, and the checkpoint, as the ledger serves them)."""

    def __init__(self, inner: httpx.BaseTransport, left_out: int) -> None:
        self.inner, self.left_out, self.shifted = inner, left_out, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        prefix = "/transactions/"
        if path.startswith(prefix) and path[len(prefix) :].isdigit():
            seq = int(path[len(prefix) :])
            if seq == self.left_out:
                self.shifted += 1
                request = httpx.Request("GET", request.url.copy_with(path=f"{prefix}{seq + 1}"))
        return self.inner.handle_request(request)


def test_a_ledger_leaving_one_entry_out_is_refused(world: World, tmp_path: Path) -> None:
    world.register()
    into = tmp_path / "mirror"
    with served(world) as honest:
        mirror = follower(world, honest, into)
        mirror.follow()
    size, note = mirror.size, world.ledger.checkpoint
    for _ in range(3):
        world.register()
    with served(world) as genuine:
        lying = OneLeftOut(genuine, left_out=size + 1)
        mirror.client.close()
        mirror.client = LedgerClient("http://ledger.test", world.genesis.vkey, transport=lying,
                                     trust_file=into / TRUST_FILE)  # fmt: skip
        done = mirror.follow()
    assert lying.shifted
    assert done.error is not None and done.error.code == "checkpoint_mismatch"
    assert mirror.size == size
    assert mirror.served is not None and mirror.served.ledger.checkpoint == note
    mirror.close()
