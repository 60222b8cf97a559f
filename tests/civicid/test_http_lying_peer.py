"""A lying peer behind the kernel's HTTP transport: every answer becomes one of our errors."""

from __future__ import annotations

import httpx
import pytest

from civicid.errors import Error
from civicid.http import HttpClient


def client(body: bytes, status: int = 200) -> HttpClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
    return HttpClient("http://peer.test", transport=transport)


@pytest.mark.parametrize("status", [200, 400, 502])
def test_deeply_nested_json_is_malformed_not_a_crash(status: int) -> None:
    with client(b"[" * 500_000, status) as peer, pytest.raises(Error) as caught:
        peer.get_json("/anything")
    expected = "http_response_malformed" if status == 200 else f"http_{status}"
    assert caught.value.code == expected


def test_an_answer_over_the_byte_cap_is_refused() -> None:
    peer = HttpClient(
        "http://peer.test",
        max_bytes=1024,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 4096)),
    )
    with peer, pytest.raises(Error) as caught:
        peer.get("/big")
    assert caught.value.code == "http_response_too_large"
