"""A client pinned to a checkpoint key the ledger's genesis does not name: every checkpoint it
is shown verifies with its key (re-signed on the way, under the ledger's own name), the
genesis is proven included, and still governance is refused, ``ledger_key_not_genesis``."""

from __future__ import annotations

import httpx
import pytest

from civicid.checkpoint import NoteSigner
from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from tests.ledger.conftest import World
from tests.ledger.test_http import live  # noqa: F401  (the fixture)


class Resigned(httpx.BaseTransport):
    """The live ledger, its checkpoints signed again by ``signer``."""

    def __init__(self, signer: NoteSigner) -> None:
        self.signer, self.inner = signer, httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != "/checkpoint":
            return response
        body = response.read().decode().split("\n\n", 1)[0] + "\n"
        return httpx.Response(200, text=self.signer.sign(body))


def test_a_key_the_genesis_does_not_name_is_refused(world: World, live: str) -> None:  # noqa: F811
    other = NoteSigner.generate(world.origin)
    client = LedgerClient(live, other.vkey(), transport=Resigned(other))
    try:
        assert client.checkpoint().size == world.ledger.size  # its key verifies them
        with pytest.raises(Error) as exc:
            client.governance()
        assert exc.value.code == "ledger_key_not_genesis"
    finally:
        client.close()
    genuine = LedgerClient(live, world.genesis.vkey)
    try:
        assert genuine.governance() == world.governance.did
    finally:
        genuine.close()
