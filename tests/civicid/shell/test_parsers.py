"""Every request parser the hardened server offers keeps every guard: the slow, silent, greedy
and oversize clients of ``tests/slow_clients.py`` against a small service served with each,
and the answers a keep-alive client, a pipelining client and a malformed head get."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from civicid.shell.heads import MAX_EMPTY_LINES
from civicid.shell.server import PARSER, PARSERS
from tests.civicid.shell.conftest import LARGE
from tests.slow_clients import CASES, Target, closed_by_server, error_code, response


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_slow_clients(target: Target, case: Callable[[Target], None]) -> None:
    case(target)


def test_the_default_parser_is_one_of_them() -> None:
    assert PARSER in PARSERS


def test_keep_alive_answers_small_and_large_whole(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=10) as sock:
        for path, size in (("/health", 15), ("/large", LARGE + 8), ("/health", 15)):
            sock.sendall(b"GET %s HTTP/1.1\r\nhost: x\r\n\r\n" % path.encode())
            head, body = response(sock)
            assert head.startswith(b"HTTP/1.1 200") and len(body) == size, head


def test_pipelined_requests_are_answered_in_order(target: Target) -> None:
    one = b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc"
    two = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    with socket.create_connection(target.address(), timeout=10) as sock:
        sock.sendall(one + two)
        answers = b""
        while not answers.endswith(b'{"status":"ok"}'):
            chunk = sock.recv(4096)
            assert chunk, answers
            answers += chunk
    assert answers.count(b"HTTP/1.1 200") == 2
    assert answers.index(b'{"bytes":3}') < answers.index(b'{"status":"ok"}')


def test_a_malformed_head_is_refused_with_a_code(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nbad header\r\n\r\n")
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert error_code(body) == "request_invalid"


def test_a_head_over_the_cap_sent_behind_a_request_is_cut_off(target: Target) -> None:
    """Pipelined behind a whole request: that one is answered, then the connection closed
    (by the cap, with our code, or by the head's deadline where the parser had it all in one
    read), well before the client's patience runs out."""
    first = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    big = b"GET /health HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 8192
    with socket.create_connection(target.address(), timeout=10) as sock:
        sock.sendall(first + big)
        answers = closed_by_server(sock)
    assert answers.startswith(b"HTTP/1.1 200"), answers
    _, _, rest = answers.partition(b'{"status":"ok"}')
    assert rest == b"" or rest.startswith(b"HTTP/1.1 431"), rest


def test_a_head_over_the_cap_dripped_behind_a_request_is_refused(target: Target) -> None:
    first = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    with socket.create_connection(target.address(), timeout=10) as sock:
        sock.sendall(first)
        assert response(sock)[0].startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\n")
        sock.sendall(b"x-big: " + b"a" * 8192)
        head, _, body = closed_by_server(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head
    assert error_code(body) == "request_head_too_large"


def test_an_upgrade_request_is_answered_as_http_1_1(target: Target) -> None:
    """No route speaks another protocol (WebSocket is off): the request is answered as it is."""
    with socket.create_connection(target.address(), timeout=10) as sock:
        sock.sendall(
            b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n"
        )
        head, body = response(sock)
    assert head.startswith(b"HTTP/1.1 200") and body == b'{"status":"ok"}', head


GET = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
ECHO = b"POST /echo HTTP/1.1\r\nhost: x\r\n"
CHUNKED = ECHO + b"transfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nx-t: 1\r\n\r\n"

# What httptools read and h11 refused (a request line's white space, a bare LF or CR or too
# many empty lines before it, a fragment): refused by both alike, wherever on the connection
# the request begins.
REQUEST_LINES = {
    "too-many-empty-lines-before": b"\r\n" * (MAX_EMPTY_LINES + 1) + GET,
    "bare-lf-before": b"\n" + GET,
    "bare-cr-before": b"\r\n\r" + GET,
    "two-spaces-before-the-target": b"GET  /health HTTP/1.1\r\nhost: x\r\n\r\n",
    "two-spaces-before-the-version": b"GET /health  HTTP/1.1\r\nhost: x\r\n\r\n",
    "a-fragment": b"GET /health#top HTTP/1.1\r\nhost: x\r\n\r\n",
    "a-fragment-after-a-query": b"GET /health?a=1#top HTTP/1.1\r\nhost: x\r\n\r\n",
}


@pytest.mark.parametrize("line", REQUEST_LINES.values(), ids=REQUEST_LINES.keys())
@pytest.mark.parametrize(
    "before",
    [b"", GET, ECHO + b"content-length: 3\r\n\r\nabc", CHUNKED],
    ids=["first", "behind-a-get", "behind-a-body", "behind-a-chunked-body"],
)
def test_a_request_line_either_parser_would_read_otherwise_is_refused(
    target: Target, line: bytes, before: bytes
) -> None:
    """Sent first, or in one write behind whole requests (answered first, then refused)."""
    with socket.create_connection(target.address(), timeout=10) as sock:
        sock.sendall(before + line)
        answers = closed_by_server(sock)
    refusal = answers.rfind(b"HTTP/1.1 ")
    assert answers.count(b"HTTP/1.1 200") == (1 if before else 0), answers
    head, _, body = answers[refusal:].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answers
    assert error_code(body) == "request_invalid"


@pytest.mark.parametrize("empty", [1, MAX_EMPTY_LINES], ids=["one", "the-most"])
@pytest.mark.parametrize(
    "before",
    [b"", GET, ECHO + b"content-length: 3\r\n\r\nabc", CHUNKED],
    ids=["first", "behind-a-get", "behind-a-body", "behind-a-chunked-body"],
)
def test_empty_lines_before_a_request_line_are_skipped(
    target: Target, before: bytes, empty: int
) -> None:
    """RFC 9112 §2.2: a server ignores at least one empty line (CRLF) before a request line
    (an old client's CRLF after a POST body); up to ``MAX_EMPTY_LINES``, in one write or a
    byte at a time, on both parsers."""
    stream = before + b"\r\n" * empty + GET
    expected = 2 if before else 1
    for piece in (len(stream), 1):
        with socket.create_connection(target.address(), timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for at in range(0, len(stream), piece):
                sock.sendall(stream[at : at + piece])
            answers = b""
            while answers.count(b"HTTP/1.1 ") < expected or not answers.endswith(b'"ok"}'):
                chunk = sock.recv(4096)
                assert chunk, answers
                answers += chunk
        assert answers.count(b"HTTP/1.1 200") == answers.count(b"HTTP/1.1 ") == expected


def test_requests_behind_bodies_sent_in_pieces_are_answered(target: Target) -> None:
    """Where each request begins is followed across bodies of every framing, whole or cut
    anywhere: every request here is answered."""
    stream = (
        GET
        + ECHO
        + b"content-length: 5\r\n\r\nabcde"
        + CHUNKED
        + ECHO
        + b"transfer-encoding: chunked\r\n\r\n10\r\n"
        + b"a" * 16
        + b"\r\n0\r\n\r\n"
        + GET
    )
    for piece in (len(stream), 7, 1):
        with socket.create_connection(target.address(), timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for at in range(0, len(stream), piece):
                sock.sendall(stream[at : at + piece])
            answers = b""
            while answers.count(b"HTTP/1.1 200") < 5 or not answers.endswith(b'"ok"}'):
                chunk = sock.recv(65536)
                assert chunk, answers
                answers += chunk
        assert answers.count(b"HTTP/1.1 ") == 5, answers
        assert b'{"bytes":5}' in answers and b'{"bytes":16}' in answers, answers
