"""A head that arrives whole in one read is held to the byte cap as it was written: one of
exactly ``max_header_bytes`` (its line, each header with one space after its colon, the blank
line) is served, one byte more is refused 431 with our code. With httptools this is counted
in ``_check_head`` alone (the count of incomplete heads never sees a head completed in one
read); each parser in turn, over raw sockets on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from tests.slow_clients import LIMITS, PATIENCE, Target, error_code, response

CAP = LIMITS["max_header_bytes"]


def head_of(size: int) -> bytes:
    """A whole GET head of exactly ``size`` bytes, padded in a header of its own."""
    start, end = b"GET /health HTTP/1.1\r\nhost: x\r\nx-pad: ", b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


def test_a_whole_head_at_the_cap_is_served(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(head_of(CAP))
        head, _ = response(sock)
    assert head.startswith(b"HTTP/1.1 200"), head


@pytest.mark.parametrize("past", [1, 2])
def test_a_whole_head_past_the_cap_is_refused(target: Target, past: int) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(head_of(CAP + past))
        head, body = response(sock)
    assert head.startswith(b"HTTP/1.1 431"), head
    assert error_code(body) == "request_head_too_large"
