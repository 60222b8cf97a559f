"""Slow, silent, greedy and oversize clients, over raw sockets on 127.0.0.1: the cases every
service's server must survive, run against each service (and against ``civicid up``) by
their own test modules. Each server under test runs with ``LIMITS`` (short deadlines, a few
connections) so the cases take well under a second each.

A case names what it needs of the service: ``Target.post`` is a route that reads a body.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from typing import Any, Final

import pytest

from civicid.shell.heads import MAX_EMPTY_LINES

# The server limits the cases are written for (``ServiceSettings`` fields).
LIMITS: Final[dict[str, Any]] = {
    "header_timeout": 0.5,
    "body_timeout": 0.5,
    "max_header_bytes": 4096,
    "max_connections": 8,
    "keep_alive": 5.0,
}
# Far past every deadline above: a case that waits this long has found a server that waits.
PATIENCE: Final = 10.0


@dataclass(frozen=True)
class Target:
    url: str
    post: str  # a route that reads a request body
    too_large: str  # the code a body over the limits is refused with on ``post``
    get: str = "/health"
    max_connections: int = LIMITS["max_connections"]

    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)


def connect(target: Target) -> socket.socket:
    return socket.create_connection(target.address(), timeout=PATIENCE)


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer


def response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One whole response (head and a content-length body) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "closed in the middle of a body"
        body += chunk
    return head, body


def error_code(body: bytes) -> str:
    code: str = json.loads(body)["error"]
    return code


def get(target: Target) -> bytes:
    return b"GET %s HTTP/1.1\r\nhost: localhost\r\n\r\n" % target.get.encode()


# -- the cases -------------------------------------------------------------------------------


def a_head_that_never_ends_is_cut_off(target: Target) -> None:
    with connect(target) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nhost: x\r\n" % target.get.encode())  # no blank line
        assert closed_by_server(sock) == b""  # closed by the deadline, well before PATIENCE


def a_head_dripped_a_line_at_a_time_is_cut_off(target: Target) -> None:
    """Data that keeps coming does not extend the head's deadline (slowloris)."""
    with connect(target) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\n" % target.get.encode())
        sent = 0
        with pytest.raises(OSError):  # the server closes while we are still dripping
            for sent in range(200):
                sock.sendall(b"x-drip: %d\r\n" % sent)
                try:
                    if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                        raise ConnectionResetError("closed")
                except BlockingIOError:
                    pass  # nothing to read, and not closed: drip on
                threading.Event().wait(0.05)
        assert sent < 100  # cut off after ~0.5 s, not after the 10 s of dripping


def a_connection_that_sends_nothing_is_cut_off(target: Target) -> None:
    with connect(target) as sock:
        assert closed_by_server(sock) == b""


def keep_alive_requests_each_get_the_whole_deadline(target: Target) -> None:
    """A prompt client is never cut off: two requests on one connection, each answered."""
    with connect(target) as sock:
        for _ in range(2):
            sock.sendall(get(target))
            head, _ = response(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
            threading.Event().wait(0.3)  # idle between requests: within keep-alive


def empty_lines_before_a_request_line_are_skipped_up_to_a_bound(target: Target) -> None:
    """RFC 9112 §2.2: a server ignores at least one empty line (CRLF) before a request line;
    up to ``MAX_EMPTY_LINES`` are, on a new connection and between requests; one more is
    refused with our code."""
    with connect(target) as sock:
        for empty in (MAX_EMPTY_LINES, 1):
            sock.sendall(b"\r\n" * empty + get(target))
            head, _ = response(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
    with connect(target) as sock:
        sock.sendall(b"\r\n" * (MAX_EMPTY_LINES + 1) + get(target))
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert error_code(body) == "request_invalid"


def a_head_past_the_byte_limit_is_refused_with_a_code(target: Target) -> None:
    """The cap on buffered head bytes holds (it is h11's: the protocol must be h11 whatever
    else is installed); the refusal carries our code before the head's end arrives."""
    with connect(target) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nhost: x\r\nx-big: " % target.get.encode() + b"a" * 8192)
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head
    assert error_code(body) == "request_head_too_large"


def a_body_past_the_limit_is_refused_and_the_connection_closed(target: Target) -> None:
    """Refused from its declared length, before any of it is read; the connection is then
    closed, so the client cannot hold it by trickling the body nobody reads."""
    with connect(target) as sock:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
            b"content-length: 1000000000\r\n\r\n" % target.post.encode()
        )
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert error_code(body) == target.too_large


def a_body_that_never_arrives_is_answered_with_a_code(target: Target) -> None:
    with connect(target) as sock:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
            b"content-length: 1000\r\n\r\n{" % target.post.encode()
        )
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert error_code(body) == "request_body_timeout"


def idle_connections_past_the_cap_make_room_for_a_request(target: Target) -> None:
    """Many more idle connections than the cap: the longest idle are closed to make room,
    and a client that asks something is answered."""
    idle = [connect(target) for _ in range(3 * target.max_connections)]
    try:
        with connect(target) as sock:
            sock.sendall(get(target))
            head, _ = response(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
        # The first ones were closed for room, long before their head deadline.
        for early in idle[: target.max_connections]:
            early.settimeout(PATIENCE)
            assert closed_by_server(early) == b""
    finally:
        for sock in idle:
            sock.close()


def slow_bodies_past_the_cap_make_room_for_a_request(target: Target) -> None:
    """Every connection the service may hold has a complete head and a body still to come:
    the one whose body has been arriving longest is closed for room (told 503 with our code),
    and a client that asks something is answered, not refused 503."""
    slow = [connect(target) for _ in range(target.max_connections)]
    try:
        for sock in slow:  # a head, and a body still to come until body_timeout
            sock.sendall(
                b"POST %s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
                b"expect: 100-continue\r\ncontent-length: 100\r\n\r\n" % target.post.encode()
            )
        for sock in slow:  # "100 Continue": the app is reading the body (no sleep, a signal)
            assert sock.recv(4096).startswith(b"HTTP/1.1 100")
        with connect(target) as sock:
            sock.sendall(get(target))
            head, _ = response(sock)
        assert head.startswith(b"HTTP/1.1 200"), head
        # One made room (unless the body deadline closed some first); the rest run out of time.
        codes = [error_code(closed_by_server(sock).partition(b"\r\n\r\n")[2]) for sock in slow]
        assert set(codes) <= {"server_busy", "request_body_timeout"}, codes
        assert codes.count("server_busy") <= 1, codes
    finally:
        for sock in slow:
            sock.close()


CASES: Final = [
    a_head_that_never_ends_is_cut_off,
    a_head_dripped_a_line_at_a_time_is_cut_off,
    a_connection_that_sends_nothing_is_cut_off,
    keep_alive_requests_each_get_the_whole_deadline,
    empty_lines_before_a_request_line_are_skipped_up_to_a_bound,
    a_head_past_the_byte_limit_is_refused_with_a_code,
    a_body_past_the_limit_is_refused_and_the_connection_closed,
    a_body_that_never_arrives_is_answered_with_a_code,
    idle_connections_past_the_cap_make_room_for_a_request,
    slow_bodies_past_the_cap_make_room_for_a_request,
]
