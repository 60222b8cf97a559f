"""A head that arrives in pieces, each under the cap, is counted whole: once its bytes are past
``max_header_bytes`` it is refused (431, our code), not left to its deadline. On each
parser, over raw sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import time

from tests.slow_clients import LIMITS, PATIENCE, Target, closed_by_server, error_code

CAP = LIMITS["max_header_bytes"]
PIECE = CAP // 2  # each under the cap; three of them past it


def test_a_head_past_the_cap_in_pieces_under_it_is_refused(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\nx-big: ")
        for _ in range(3):
            time.sleep(0.05)  # each piece read apart
            sock.sendall(b"a" * PIECE)
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head
    assert error_code(body) == "request_head_too_large"  # (the deadline closes with none)
