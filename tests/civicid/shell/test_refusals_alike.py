"""Attack: the same malformed or oversize head sent to each request parser is refused with the
same answer, code and description (each parser's own refusal replaced by the rule broken),
the cap named in a refusal for size."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.shell.heads import (
    MAX_EMPTY_LINES,
    framing_refused,
    framing_too_large,
    line_refused,
    target_refused,
    too_large,
    version_refused,
)
from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.civicid.shell.conftest import BODY_CAP, small_service
from tests.slow_clients import LIMITS, PATIENCE, Target, closed_by_server

CAP = LIMITS["max_header_bytes"]
GET = b"GET /health HTTP/1.1\r\nhost: x\r\n"
# A head neither parser reads (a space in a field name), then pipelined bytes up to the cap,
# and past it: the head is what is refused, not the bytes behind it, however many.
MALFORMED = GET + b"x a: 1\r\n\r\n"
MALFORMED_THEN_A_CAP = MALFORMED + b"b" * CAP
MALFORMED_THEN_PAST_THE_CAP = MALFORMED + b"b" * (2 * CAP)
NOT_HTTP_1_1 = {"error": "request_invalid", "error_description": "the request head is not HTTP/1.1"}
MALFORMED_UNENDED = GET + b"x a: 1\r\n"
CHUNKED = b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"


def body(error: Error) -> dict[str, Any]:
    return {"error": error.code, "error_description": error.message}


FRAMING_TOO_LARGE = body(framing_too_large(CAP))


CASES = {
    "http-2.0": (b"GET /health HTTP/2.0\r\nhost: x\r\n\r\n", body(version_refused("2.0"))),
    "http-0.9": (b"GET /health HTTP/0.9\r\nhost: x\r\n\r\n", body(version_refused("0.9"))),
    "absolute-form": (b"GET http://x/health HTTP/1.1\r\nhost: x\r\n\r\n", body(target_refused())),
    "chunked-in-http-1.0": (
        b"POST /echo HTTP/1.0\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
        body(framing_refused()),
    ),
    "too-many-empty-lines": (b"\r\n" * (MAX_EMPTY_LINES + 1) + GET + b"\r\n", body(line_refused())),
    "whole-head-over-the-cap": (GET + b"x-a: " + b"a" * CAP + b"\r\n\r\n", body(too_large(CAP))),
    "endless-head-over-the-cap": (GET + b"x-a: " + b"a" * CAP, body(too_large(CAP))),
    "malformed-then-a-cap": (MALFORMED_THEN_A_CAP, NOT_HTTP_1_1),
    "malformed-then-past-the-cap": (MALFORMED_THEN_PAST_THE_CAP, NOT_HTTP_1_1),
    # A head that breaks a rule and never ends: the rule broken is said, not the cap (one
    # parser reads it line by line and refuses it at the broken line).
    "malformed-never-ending-past-the-cap": (MALFORMED_UNENDED + b"b" * CAP, NOT_HTTP_1_1),
    "malformed-never-ending-within-the-cap": (MALFORMED_UNENDED, NOT_HTTP_1_1),
    "bare-lf-never-ending": (GET + b"x-a: 1\nx-b: " + b"b" * CAP, NOT_HTTP_1_1),
    # A chunked body's framing past the cap: the framing is named, not a head.
    "chunk-size-line-past-the-cap": (CHUNKED + b"3;x=" + b"a" * 2 * CAP, FRAMING_TOO_LARGE),
    "trailer-section-past-the-cap": (
        CHUNKED + b"3\r\nabc\r\n0\r\nx-t: " + b"a" * 2 * CAP,
        FRAMING_TOO_LARGE,
    ),
}


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    with contextlib.ExitStack() as stack:
        served = {}
        for parser in sorted(PARSERS):
            settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
            app = small_service()
            config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=parser)
            url = stack.enter_context(serving(app, free_port(), config=config))
            served[parser] = Target(url, post="/echo", too_large="request_body_too_large")
        yield served


def refusal(target: Target, data: bytes) -> tuple[bytes, Any]:
    """The status line and JSON body the server sends before it closes."""
    with socket.create_connection(target.address(), timeout=PATIENCE) as sock:
        sock.sendall(data)  # one write: the parser sees it whole
        head, _, answer = closed_by_server(sock).partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], json.loads(answer)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_parser_refuses_a_head_alike(targets: dict[str, Target], case: str) -> None:
    data, expected = CASES[case]
    answers = {parser: refusal(target, data) for parser, target in targets.items()}
    status = 431 if expected["error"] == "request_head_too_large" else 400
    for parser, (line, answer) in answers.items():
        assert line.startswith(b"HTTP/1.1 %d " % status), (parser, line)
        assert answer == expected, parser
