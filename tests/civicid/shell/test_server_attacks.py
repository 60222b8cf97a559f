"""Attack: malformed, smuggling, oversize, pipelining and greedy clients against the hardened
server, over raw sockets on 127.0.0.1, with each request parser it offers. Every request is
either answered as HTTP/1.1 says or refused with our code (and, for a malformed head, the
connection closed: what follows it cannot be framed)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, LARGE, small_service
from tests.slow_clients import LIMITS, PATIENCE, Target, closed_by_server, error_code, response

CAP = LIMITS["max_header_bytes"]
# Large answers a greedy client asks for and never reads: far more than the kernel's socket
# buffers on both ends hold (a few MiB on loopback), so the last ones stall in the server.
STALLED_ANSWERS = 16 * 1024 * 1024 // LARGE


def exchange(target: Target, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes (or PATIENCE passes)."""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(data)
        with contextlib.suppress(TimeoutError):
            return closed_by_server(sock)
    raise AssertionError("the server kept the connection open")


def refused(answer: bytes, status: int, code: str) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d" % status), answer
    assert error_code(body) == code


def answered(target: Target, data: bytes) -> tuple[bytes, bytes]:
    """One answer to ``data`` on a kept-alive connection."""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(data)
        return response(sock)


POST = b"POST /echo HTTP/1.1\r\nhost: x\r\n"

# Request smuggling and malformed framing: each refused, and the connection closed.
MALFORMED = {
    "two-content-lengths": POST + b"content-length: 3\r\ncontent-length: 5\r\n\r\nabcde",
    "content-length-signed": POST + b"content-length: +3\r\n\r\nabc",
    "content-length-negative": POST + b"content-length: -1\r\n\r\nabc",
    "content-length-overflow": POST + b"content-length: " + b"9" * 30 + b"\r\n\r\nabc",
    "space-before-colon": POST + b"content-length : 3\r\n\r\nabc",
    "chunk-size-not-hex": POST + b"transfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "chunk-size-negative": POST + b"transfer-encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n",
    "chunk-extension-bare-lf": POST + b"transfer-encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n",
    "chunked-not-last": POST + b"transfer-encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "unknown-coding": POST + b"transfer-encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "nul-in-value": b"GET /health HTTP/1.1\r\nhost: x\r\nx-a: a\x00b\r\n\r\n",
    "nul-in-name": b"GET /health HTTP/1.1\r\nhost: x\r\nx-\x00: a\r\n\r\n",
    "space-in-name": b"GET /health HTTP/1.1\r\nhost: x\r\nx a: 1\r\n\r\n",
    "bare-cr": b"GET /health HTTP/1.1\rhost: x\r\n\r\n",
    "non-ascii-path": b"GET /h\xc3\xa9alth HTTP/1.1\r\nhost: x\r\n\r\n",
    "space-in-path": b"GET /a b HTTP/1.1\r\nhost: x\r\n\r\n",
    "no-host": b"GET /health HTTP/1.1\r\n\r\n",
    "two-hosts": b"GET /health HTTP/1.1\r\nhost: x\r\nhost: y\r\n\r\n",
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_head_is_refused_and_the_connection_closed(target: Target, data: bytes) -> None:
    refused(exchange(target, data), 400, "request_invalid")


# Ambiguous framing, line ends and targets: h11 reads each of these one way and httptools
# another, or one of them reads it where RFC 9112 has it refused; a proxy in front could read
# it a third way. Refused outright by both (``civicid/shell/heads.py``).
AMBIGUOUS = {
    "content-length-and-chunked": POST
    + b"content-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "chunked-and-content-length": POST
    + b"transfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "gzip-then-chunked": POST + b"transfer-encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "gzip-then-chunked-in-two-fields": POST
    + b"transfer-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "chunked-twice": POST + b"transfer-encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "identity-coding": POST + b"transfer-encoding: identity\r\ncontent-length: 3\r\n\r\nabc",
    "chunked-in-http-1-0": b"POST /echo HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n"
    + b"3\r\nabc\r\n0\r\n\r\n",
    "obs-fold": b"GET /health HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n  folded\r\n\r\n",
    "obs-fold-of-transfer-encoding": POST
    + b"transfer-encoding:\r\n chunked\r\ncontent-length: 3\r\n\r\nabc",
    "bare-lf": b"GET /health HTTP/1.1\nhost: x\n\n",
    "one-bare-lf": b"GET /health HTTP/1.1\r\nhost: x\nx-a: 1\r\n\r\n",
    "bare-lf-in-trailers": POST
    + b"transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\n\r\n",
    "obs-fold-in-trailers": POST
    + b"transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n 2\r\n\r\n",
    "control-in-value": b"GET /health HTTP/1.1\r\nhost: x\r\nx-a: a\x01b\r\n\r\n",
    "delete-in-value": b"GET /health HTTP/1.1\r\nhost: x\r\nx-a: a\x7fb\r\n\r\n",
    "http-0-9": b"GET /health\r\n\r\n",
    "http-0-9-named": b"GET /health HTTP/0.9\r\n\r\n",
    "http-2-0": b"GET /health HTTP/2.0\r\nhost: x\r\n\r\n",
    "http-1-2": b"GET /health HTTP/1.2\r\nhost: x\r\n\r\n",
    "absolute-form": b"GET http://x/health HTTP/1.1\r\nhost: x\r\n\r\n",
    "absolute-form-naming-another-host": b"GET http://y/health HTTP/1.1\r\nhost: x\r\n\r\n",
    "authority-form": b"CONNECT x:80 HTTP/1.1\r\nhost: x\r\n\r\n",
    "asterisk-form-not-options": b"GET * HTTP/1.1\r\nhost: x\r\n\r\n",
}


@pytest.mark.parametrize("data", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_ambiguous_framing_and_targets_are_refused(target: Target, data: bytes) -> None:
    refused(exchange(target, data), 400, "request_invalid")


# What either parser may read (RFC 9112 allows each), answered as it says.
ANSWERED = {
    "chunked-in-any-case": (
        POST + b"transfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b'{"bytes":3}',
    ),
    "chunked-with-a-trailer": (
        POST + b"transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n",
        b'{"bytes":3}',
    ),
    "asterisk-form-options": (
        b"OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n",
        b'{"error":"route_not_found","error_description":"Not Found"}',
    ),
}


@pytest.mark.parametrize("data, body", ANSWERED.values(), ids=ANSWERED.keys())
def test_what_rfc_9112_allows_is_answered(target: Target, data: bytes, body: bytes) -> None:
    _, answer = answered(target, data)
    assert answer == body


@pytest.mark.parametrize("size, status", [(BODY_CAP, 200), (BODY_CAP + 1, 413)])
def test_a_body_at_the_cap_is_read_one_past_it_refused(
    target: Target, size: int, status: int
) -> None:
    for framed in (
        POST + b"content-length: %d\r\n\r\n" % size + b"a" * size,
        POST + b"transfer-encoding: chunked\r\n\r\n%x\r\n" % size + b"a" * size + b"\r\n0\r\n\r\n",
    ):
        head, body = answered(target, framed)
        if status == 200:
            assert head.startswith(b"HTTP/1.1 200") and body == b'{"bytes":%d}' % size, head
        else:
            refused(head + b"\r\n\r\n" + body, 413, "request_body_too_large")


@pytest.mark.parametrize(
    "framing",
    [b"3;x=" + b"a" * 2 * CAP, b"3\r\nabc\r\n0\r\nx-t: " + b"a" * 2 * CAP],
    ids=["chunk-extension", "trailer-section"],
)
def test_a_chunk_size_line_or_trailer_section_past_the_cap_is_refused(
    target: Target, framing: bytes
) -> None:
    """A chunk's size line or trailer section that does not end: refused once past the head's
    cap, not kept to the body's deadline (kept, each read was copied and searched again with
    all before it, and one client held a service's event loop for seconds)."""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(POST + b"transfer-encoding: chunked\r\n\r\n" + framing)
        refused(closed_by_server(sock), 431, "request_head_too_large")


def head_of(size: int) -> bytes:
    """A GET whose head (line, headers and the blank line) is ``size`` bytes."""
    start = b"GET /health HTTP/1.1\r\nhost: x\r\nx-pad: "
    return start + b"a" * (size - len(start) - 4) + b"\r\n\r\n"


def test_a_head_at_the_cap_is_answered(target: Target) -> None:
    head, _ = answered(target, head_of(CAP))
    assert head.startswith(b"HTTP/1.1 200"), head


def test_a_head_one_past_the_cap_is_refused_even_when_whole(target: Target) -> None:
    """The cap holds for a head that arrives in one piece, not only for one still coming
    (each parser counts only a head still incomplete after a read)."""
    refused(exchange(target, head_of(CAP + 1)), 431, "request_head_too_large")


def test_a_head_completed_past_the_cap_is_refused(target: Target) -> None:
    """Its last bytes, which take it over the cap, arrive in the read that completes it."""
    head = head_of(CAP + 1)
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(head[:-8])
        sock.sendall(head[-8:])
        refused(closed_by_server(sock), 431, "request_head_too_large")


def test_a_whole_head_over_the_cap_pipelined_behind_a_request_is_refused(
    target: Target,
) -> None:
    first = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    answers = exchange(target, first + head_of(2 * CAP))
    assert answers.startswith(b"HTTP/1.1 200"), answers
    _, _, rest = answers.partition(b'{"status":"ok"}')
    refused(rest, 431, "request_head_too_large")


def test_a_huge_url_is_refused_or_cut_off(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(b"GET /health?" + b"a" * (4 * CAP))  # no end of line yet
        answer = closed_by_server(sock)
    refused(answer, 431, "request_head_too_large")


def test_expect_100_continue_within_the_cap(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(POST + b"expect: 100-continue\r\ncontent-length: 3\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 100")
        sock.sendall(b"abc")
        head, body = response(sock)
    assert head.startswith(b"HTTP/1.1 200") and body == b'{"bytes":3}', head


def test_expect_100_continue_over_the_cap_is_refused_without_continue(target: Target) -> None:
    answer = exchange(target, POST + b"expect: 100-continue\r\ncontent-length: 5000\r\n\r\n")
    assert b"100 Continue" not in answer
    refused(answer, 413, "request_body_too_large")


def test_http_1_0_is_answered_and_closed(target: Target) -> None:
    answer = exchange(target, b"GET /health HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"status":"ok"}'), answer


def test_many_pipelined_requests_are_answered_in_order(target: Target) -> None:
    sizes = range(1, 41)
    requests = b"".join(POST + b"content-length: %d\r\n\r\n" % n + b"a" * n for n in sizes)
    answers = b""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(requests)
        while answers.count(b"HTTP/1.1 200") < len(sizes) or not answers.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, answers
            answers += chunk
    bodies = [part.partition(b"\r\n\r\n")[2] for part in answers.split(b"HTTP/1.1 200 OK")]
    assert bodies[1:] == [b'{"bytes":%d}' % n for n in sizes]


def test_a_malformed_head_pipelined_behind_a_request_is_refused_after_its_answer(
    target: Target,
) -> None:
    """The request before it is whole: it is answered first, then the malformed one refused
    (never a refusal in its place, which its client would take for its own answer)."""
    answers = exchange(target, POST + b"content-length: 3\r\n\r\nabc" + b"BAD \x00\r\n\r\n")
    assert answers.startswith(b"HTTP/1.1 200"), answers
    _, _, rest = answers.partition(b'{"bytes":3}')
    refused(rest, 400, "request_invalid")


def test_clients_that_never_read_their_answers_do_not_hold_the_server(target: Target) -> None:
    """Every connection the service may hold pipelines large answers and reads none: each
    answer stalls in flight, so none of them can be closed for room. A stalled answer is
    given up after the body deadline, and a newcomer is answered, not refused 503."""
    hogs = []
    try:
        for _ in range(target.max_connections):
            sock = socket.create_connection(target.address(), timeout=PATIENCE)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"GET /large HTTP/1.1\r\nhost: x\r\n\r\n" * STALLED_ANSWERS)
            hogs.append(sock)
        # Refused 503 while the stalled answers hold every connection; answered once they
        # are given up (a few body deadlines at most), well before PATIENCE.
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                head, _ = answered(target, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
            except (AssertionError, OSError):  # refused 503 (and closed) while all are held
                head = b""
            if head.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
                break
            threading.Event().wait(LIMITS["body_timeout"] / 5)
        assert head.startswith(b"HTTP/1.1 200"), head
    finally:
        for sock in hogs:
            sock.close()


def test_a_request_pipelined_with_its_body_still_coming_is_answered(target: Target) -> None:
    """The answer before it leaves while its body is still on the way: that body is the next
    request's, read once it runs, not a body left unread (which would close the connection)."""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(
            b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n" + POST + b"content-length: 10\r\n\r\nabc"
        )
        answers = b""
        while b'{"status":"ok"}' not in answers:
            chunk = sock.recv(4096)
            assert chunk, answers
            answers += chunk
        sock.sendall(b"defghij")
        while not answers.endswith(b'{"bytes":10}'):
            chunk = sock.recv(4096)
            assert chunk, answers
            answers += chunk
    assert answers.count(b"HTTP/1.1 200") == 2, answers


class Errors(logging.Handler):
    """The server log's errors (an app's traceback among them)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append(record.getMessage())


def test_a_pipelining_client_cut_off_leaves_no_error_in_the_log(target: Target) -> None:
    """Its answers stalled, its connection aborted in the middle of one of them: the answer
    in flight is dropped quietly, not written to the closed connection (a traceback each
    time, which a client could have the server log at will)."""
    errors = Errors()
    log = logging.getLogger("uvicorn.error")
    log.addHandler(errors)
    try:
        with socket.socket() as sock:
            # Set before the handshake, which fixes the window's scale: what the server's
            # kernel still holds after the abort (~3 MiB) is then read in milliseconds (set
            # after connecting, with the scale of a large buffer, it took 100 s).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(PATIENCE)
            sock.connect(target.address())
            sock.sendall(b"GET /large HTTP/1.1\r\nhost: x\r\n\r\n" * STALLED_ANSWERS)
            with contextlib.suppress(ConnectionResetError):
                threading.Event().wait(4 * LIMITS["body_timeout"])  # aborted by then
                while sock.recv(1 << 20):  # read what was sent before the abort
                    pass
        # The connection's end reaches the app on the server's loop: a request after it is
        # answered once that loop has run past it.
        head, _ = answered(target, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
    finally:
        log.removeHandler(errors)
    assert errors.found == []


@pytest.mark.parametrize(
    "data",
    [
        POST + b"content-length: 100\r\n\r\nabc",  # then the client leaves
        POST + b"transfer-encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n\r\n",
    ],
    ids=["client-left-mid-body", "malformed-chunk"],
)
def test_a_body_cut_short_leaves_no_error_in_the_log(target: Target, data: bytes) -> None:
    """The route reading it is told the body ended early, as our code: no traceback in the
    log (which a client could otherwise have the server write at will)."""
    errors = Errors()
    logs = [logging.getLogger("uvicorn.error"), logging.getLogger("civicid.service")]
    for log in logs:
        log.addHandler(errors)
    try:
        with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            closed_by_server(sock)
        # The route ends on the server's loop: a request after it is answered once it has.
        head, _ = answered(target, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
    finally:
        for log in logs:
            log.removeHandler(errors)
    assert errors.found == []


def test_bodies_still_arriving_make_room_quietly(target: Target) -> None:
    """Every connection has a complete head and a body still to come (a client dripping
    bodies to hold the service): a newcomer is answered, one of them is closed for room and
    told why, and its app, waiting for the rest of the body, leaves no error in the log."""
    errors = Errors()
    log = logging.getLogger("uvicorn.error")
    log.addHandler(errors)
    slow = [
        socket.create_connection(target.address(), timeout=PATIENCE)
        for _ in range(target.max_connections)
    ]
    try:
        for sock in slow:
            sock.sendall(POST + b"expect: 100-continue\r\ncontent-length: 100\r\n\r\n")
        for sock in slow:  # the app is reading each body
            assert sock.recv(4096).startswith(b"HTTP/1.1 100")
        head, _ = answered(target, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        codes = [error_code(closed_by_server(sock).partition(b"\r\n\r\n")[2]) for sock in slow]
        assert set(codes) <= {"server_busy", "request_body_timeout"}, codes
        assert codes.count("server_busy") <= 1, codes
        head, _ = answered(target, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")  # after the ends
        assert head.startswith(b"HTTP/1.1 200"), head
    finally:
        log.removeHandler(errors)
        for sock in slow:
            sock.close()
    assert errors.found == []


@pytest.fixture(params=sorted(PARSERS))
def held(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """The small service with room for two connections, an answer allowed to stall long."""
    limits = {**LIMITS, "max_connections": 2, "body_timeout": PATIENCE}
    settings = ServiceSettings(data_dir=tmp_path, **limits)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=request.param)
    with serving(app, free_port(), config=config) as url:
        yield Target(url, post="/echo", too_large="request_body_too_large", max_connections=2)


def test_requests_being_answered_are_never_closed_for_room(held: Target) -> None:
    """Every connection has its answers being written (stalled: the client reads none): none
    is closed for room, and a newcomer is refused 503 with our code at once."""
    hogs = []
    try:
        for _ in range(held.max_connections):
            sock = socket.create_connection(held.address(), timeout=PATIENCE)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"GET /large HTTP/1.1\r\nhost: x\r\n\r\n" * STALLED_ANSWERS)
            assert sock.recv(16).startswith(b"HTTP/1.1 200")  # its answers are being written
            hogs.append(sock)
        with socket.create_connection(held.address(), timeout=PATIENCE) as sock:
            refused(closed_by_server(sock), 503, "server_busy")
        for sock in hogs:
            assert sock.recv(4096), "a connection being answered was closed for room"
    finally:
        for sock in hogs:
            sock.close()
