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


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_told_as_one_not_followed_not_read_as_the_body(status: int) -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(status, headers={"location": "http://elsewhere.test/"})
    )
    with HttpClient("http://peer.test", transport=transport) as peer, pytest.raises(Error) as e:
        peer.get_json("/offer")
    assert e.value.code == "http_response_malformed"
    assert f"redirect (HTTP {status} to http://elsewhere.test/), not followed" in e.value.message


def test_an_answer_over_the_byte_cap_is_refused() -> None:
    peer = HttpClient(
        "http://peer.test",
        max_bytes=1024,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 4096)),
    )
    with peer, pytest.raises(Error) as caught:
        peer.get("/big")
    assert caught.value.code == "http_response_too_large"


@pytest.mark.parametrize(
    "body",
    [
        b'{"treeSize": NaN}',
        b'{"treeSize": Infinity}',
        b'{"treeSize": 1e400}',
        b'\xef\xbb\xbf{"treeSize": 1}',
        b'{"name": "\\ud800"}',
        b'{"treeSize": 1, "treeSize": 2}',
        b'{"name": "\xff"}',
    ],
    ids=["nan", "infinity", "beyond-double", "bom", "lone-surrogate", "twice", "not-utf8"],
)
def test_an_answer_that_is_not_i_json_is_malformed(body: bytes) -> None:
    # Read one way here and another by the next reader: refused, as our services refuse it.
    with client(body) as peer, pytest.raises(Error) as caught:
        peer.get_json("/anything")
    assert caught.value.code == "http_response_malformed"


def test_an_i_json_answer_of_any_kind_is_read() -> None:
    with client(b'[1, 2.5, "\\ud83d\\ude00", {"a": null}]') as peer:
        assert peer.get_json("/anything") == [1, 2.5, "\U0001f600", {"a": None}]
