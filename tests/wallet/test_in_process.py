"""The same flows with the issuer and the desk answering in-process (ASGI, no socket), the
ledger still on loopback: the wallet's HTTP client is only a transport away from either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.wallet.conftest import PASSPHRASE, holder_settings
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.world import IN_PROCESS_ISSUER, LedgerWorld
from wallet.holder.wallet import Wallet


class InProcess(httpx.BaseTransport):
    """Hosts in ``apps`` are answered by their ASGI app; anything else goes over the network."""

    def __init__(self, apps: dict[str, TestClient]) -> None:
        self.apps = apps
        self.network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self.apps.get(request.url.host)
        if client is None:
            return self.network.handle_request(request)
        answer = client.send(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@pytest.fixture
def in_process(ledger_world: LedgerWorld) -> Iterator[tuple[RogueIssuer, RogueDesk, InProcess]]:
    issuer, desk = RogueIssuer(ledger_world), RogueDesk(ledger_world)
    issuer.url, desk.url = IN_PROCESS_ISSUER, "https://desk.in-process.example"
    with TestClient(issuer.app()) as issuing, TestClient(desk.app()) as asking:
        yield (
            issuer,
            desk,
            InProcess({"agency.in-process.example": issuing, "desk.in-process.example": asking}),
        )
    desk.ledger.close()


def test_receive_and_present_in_process(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    in_process: tuple[RogueIssuer, RogueDesk, InProcess],
) -> None:
    issuer, desk, transport = in_process
    settings = holder_settings(tmp_path / "citizen", ledger_world)
    with Wallet.create(settings, PASSPHRASE, transport=transport) as wallet:
        [held] = wallet.receive(issuer.offer(by_reference=True), TX_CODE)
        assert len(held.copies) == 3
        outcome = wallet.present(wallet.prepare(desk.link()))
        assert outcome.receipt is not None and outcome.receipt.decision == "eligible"
    assert desk.behaviour.received[0]["given_name"] == "Ada"
