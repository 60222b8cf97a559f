"""A Transfer-Encoding is chunked only as that word, white space after it allowed: a value
with another character after chunked (``chunkedX``) is another coding, refused 400
``request_invalid``; ``chunked`` followed by spaces is served (stripped from the end only).
Each parser in turn, over raw sockets on 127.0.0.1; the served one (httptools) names the
coding as the reason, not a head it could not read."""

from __future__ import annotations

import json
import socket

import pytest

from civicid.shell.heads import coding_refused
from tests.slow_clients import PATIENCE, Target, error_code, response

POST = b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: %s\r\n\r\n3\r\nabc\r\n0\r\n\r\n"


def answer_to(target: Target, coding: bytes) -> tuple[bytes, bytes]:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(POST % coding)
        return response(sock)


def test_chunked_then_spaces_is_served(target: Target) -> None:
    head, _ = answer_to(target, b"chunked  ")
    assert head.startswith(b"HTTP/1.1 200"), head


@pytest.mark.parametrize("coding", [b"chunkedX", b"chunked\x0b"], ids=["a-letter", "a-vtab"])
def test_chunked_then_another_character_is_refused(target: Target, coding: bytes) -> None:
    head, body = answer_to(target, coding)
    assert head.startswith(b"HTTP/1.1 400"), head
    assert error_code(body) == "request_invalid"


@pytest.mark.parametrize("target", ["httptools"], indirect=True)
@pytest.mark.parametrize("coding", [b"chunkedX", b"chunked X", b"chunked\t\tX"])
def test_another_coding_is_refused_as_a_coding(target: Target, coding: bytes) -> None:
    """Only spaces and tabs are stripped before the word is read: a coding ending in another
    character is refused by the coding rule itself, which says so."""
    head, body = answer_to(target, coding)
    assert head.startswith(b"HTTP/1.1 400"), head
    assert json.loads(body) == coding_refused().to_json(), body
