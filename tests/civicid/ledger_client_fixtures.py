"""A ledger client for tests that ask it nothing over the network."""

from __future__ import annotations

import httpx

from civicid.ledger_client import LedgerClient


def offline(vkey: str) -> LedgerClient:
    """A client of ``vkey``'s ledger whose every HTTP request fails the test."""

    def nothing(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"not asked here: {request.url}")

    return LedgerClient("http://ledger.test", vkey, transport=httpx.MockTransport(nothing))
