"""The parsers' feeding at its edges, over raw sockets on 127.0.0.1, with each request parser
the hardened server offers: a body full of blank lines does not hold back the request
pipelined behind it (they count as head ends only until its head is read); a head refused in
the middle of a pipelined burst is refused once, and nothing after it is parsed; a chunk's
size line past the cap is refused naming the cap."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.shell.guards import MAX_PIPELINED
from civicid.shell.parsers import GuardedHttpTools
from civicid.shell.server import server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.civicid.shell.test_server_attacks import POST, exchange, refused
from tests.slow_clients import LIMITS, PATIENCE, Target, closed_by_server

CAP = LIMITS["max_header_bytes"]
GET = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"


def test_a_body_full_of_blank_lines_does_not_hold_back_the_request_behind_it(
    target: Target,
) -> None:
    """Before its head is read, each blank line of a body counts as a head's end: the first
    giving to the parser stops inside the body, and the rest (the body's end, and the GET
    behind it) is given at once after, not held until the client sends more."""
    body = b"\r\n\r\n" * MAX_PIPELINED
    last = b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    framed = POST + b"content-length: %d\r\n\r\n" % len(body) + body + last
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(framed)
        answers = closed_by_server(sock)
    first, _, rest = answers.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200") and rest.startswith(b'{"bytes":32}'), answers
    second, _, status = rest.removeprefix(b'{"bytes":32}').partition(b"\r\n\r\n")
    assert second.startswith(b"HTTP/1.1 200") and status == b'{"status":"ok"}', answers


# Each refusal of a malformed head on the counted server: whether its connection was closing
# already when it was made.
REFUSALS: list[bool] = []


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The small service on httptools, each refusal of a malformed head noted."""
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser="httptools")
    guarded: type[GuardedHttpTools] = config.http  # type: ignore[assignment]
    assert issubclass(guarded, GuardedHttpTools)

    class Counted(guarded):  # type: ignore[valid-type,misc]
        def send_400_response(self, msg: str) -> None:
            REFUSALS.append(self.transport.is_closing())
            super().send_400_response(msg)

    config.http = Counted
    with serving(app, free_port(), config=config) as url:
        yield Target(url, post="/echo", too_large="request_body_too_large")


@pytest.mark.parametrize(
    "malformed",
    [
        b"GET /health HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n",  # httptools refuses it
        b"GET /health  HTTP/1.1\r\nhost: x\r\n\r\n",  # heads refuses its request line
    ],
    ids=["parser", "heads"],
)
def test_a_head_refused_before_a_pipelined_burst_is_refused_once(
    counted: Target, malformed: bytes
) -> None:
    """A malformed head followed, in the same read, by many more requests than are given to
    the parser at a time: one refusal, and nothing after it given to the parser (each later
    giving was refused again, on the closed connection, as often as the client liked)."""
    REFUSALS.clear()
    answer = exchange(counted, malformed + GET * (10 * MAX_PIPELINED))
    assert answer.count(b"connection: close") == 1, answer
    refused(answer, 400, "request_invalid")
    assert REFUSALS == [False]


def test_a_chunk_size_line_past_the_cap_is_refused_naming_the_cap(target: Target) -> None:
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(POST + b"transfer-encoding: chunked\r\n\r\n3;x=" + b"a" * 2 * CAP)
        answer = closed_by_server(sock)
    refused(answer, 431, "request_head_too_large")
    described = json.loads(answer.partition(b"\r\n\r\n")[2])["error_description"]
    assert f"over {CAP} bytes" in described, described


@pytest.mark.parametrize("before", [b"", GET], ids=["alone", "behind-a-get"])
def test_a_chunk_size_line_past_the_cap_received_whole_is_refused_not_served(
    counted: Target, before: bytes
) -> None:
    """Whole in one read, its body ended and followed by more: the request is refused (once
    the answer before it has left), never given to the app and then refused as well."""
    chunked = (
        POST
        + b"transfer-encoding: chunked\r\n\r\n3;x="
        + b"a" * (CAP + 1)
        + b"\r\nabc\r\n0\r\n\r\n"
    )
    answer = exchange(counted, before + chunked + GET * 3)
    if before:
        head, _, answer = answer.partition(b'{"status":"ok"}')
        assert head.startswith(b"HTTP/1.1 200"), head
    assert answer.count(b"HTTP/1.1 ") == 1, answer
    refused(answer, 431, "request_head_too_large")


def test_two_transfer_encoding_fields_are_read_as_one_list_and_refused_by_their_rule(
    counted: Target,
) -> None:
    """Two Transfer-Encoding fields are one list of codings (RFC 9110 §5.3): here chunked
    applied after gzip, which is refused by its own rule, not as an unreadable head."""
    framed = POST + b"transfer-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"
    answer = exchange(counted, framed)
    refused(answer, 400, "request_invalid")
    described = json.loads(answer.partition(b"\r\n\r\n")[2])["error_description"]
    assert "transfer coding" in described, described
