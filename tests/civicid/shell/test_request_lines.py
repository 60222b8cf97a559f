"""Where each request of a connection begins, followed beside httptools byte by byte: bodies
that hold what looks like a request, an empty line or a last chunk are read past whole,
and a request line sent otherwise than read is caught wherever it lies."""

from __future__ import annotations

from collections.abc import Callable

import httptools
import pytest

from civicid.shell.heads import MAX_EMPTY_LINES, RequestLines

MAX_BYTES = 16 * 1024  # the servers' default cap on a head
BODY = b"0\r\n\r\nGET  / HTTP/1.1\r\n\r\n"  # a last chunk, an empty line, a bad request line
REQUESTS = [
    b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n",
    b"POST /b HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%s" % (len(BODY), BODY),
    b"POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
    + b"%x;a=b\r\n%s\r\n" % (len(BODY), BODY)
    + b"1\r\n\n\r\n0\r\nx-t: 0\r\n\r\n",
    b"POST /d HTTP/1.0\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n",
]


class Reader:
    """httptools with ``RequestLines`` asked at each head, as the server asks it."""

    def __init__(self) -> None:
        self.lines = RequestLines(MAX_BYTES)
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.verdicts: list[tuple[bytes, bool]] = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        fields = dict(self.headers)
        chunked = b"transfer-encoding" in fields
        body = None if chunked else int(fields.get(b"content-length", b"0"))
        version = self.parser.get_http_version()
        sent = self.lines.sent_as(self.parser.get_method(), self.url, version, body)
        self.verdicts.append((self.url, sent))
        self.url, self.headers = b"", []

    def feed(self, stream: bytes, piece: int) -> None:
        for at in range(0, len(stream), piece):
            self.lines.received(stream[at : at + piece])
            self.parser.feed_data(stream[at : at + piece])


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 64, 4096])
def test_every_request_is_found_where_it_begins(piece: int) -> None:
    reader = Reader()
    reader.feed(b"".join(REQUESTS), piece)
    assert reader.verdicts == [
        (b"/a", True),
        (b"/b", True),
        (b"/c", True),
        (b"/d", True),
        (b"*", True),
    ]


@pytest.mark.parametrize("piece", [1, 7, 4096])
@pytest.mark.parametrize(
    "bad",
    [
        b"\r\n" * (MAX_EMPTY_LINES + 1) + b"GET /e HTTP/1.1\r\nhost: x\r\n\r\n",
        b"\nGET /e HTTP/1.1\r\nhost: x\r\n\r\n",
        b"\r\n\rGET /e HTTP/1.1\r\nhost: x\r\n\r\n",
        b"GET  /e HTTP/1.1\r\nhost: x\r\n\r\n",
    ],
    ids=["too-many-empty-lines-before", "bare-lf-before", "bare-cr-before", "two-spaces"],
)
def test_a_request_line_sent_otherwise_is_caught_behind_any_body(piece: int, bad: bytes) -> None:
    reader = Reader()
    reader.feed(b"".join(REQUESTS) + bad, piece)
    assert reader.verdicts[-1] == (b"/e", False)
    assert all(sent for _, sent in reader.verdicts[:-1])


@pytest.mark.parametrize("piece", [1, 2, 3, 4096])
def test_empty_lines_before_a_request_line_are_skipped_up_to_the_bound(piece: int) -> None:
    """RFC 9112 §2.2: a server ignores at least one empty line before a request line."""
    reader = Reader()
    stream = [
        b"\r\n" * count + request
        for count, request in zip((1, MAX_EMPTY_LINES, 2, 0, 3), REQUESTS, strict=True)
    ]
    reader.feed(b"".join(stream), piece)
    assert reader.verdicts == [
        (b"/a", True),
        (b"/b", True),
        (b"/c", True),
        (b"/d", True),
        (b"*", True),
    ]


def test_a_chunk_size_that_cannot_be_followed_fails_every_later_request() -> None:
    lines = RequestLines(MAX_BYTES)
    lines.received(b"POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n")
    assert lines.sent_as(b"POST", b"/c", "1.1", None)
    assert not lines.sent_as(b"GET", b"/", "1.1", 0)


@pytest.mark.parametrize(
    "start, pending",
    [(b"3;x=", b"3;x="), (b"3\r\nabc\r\n0\r\nx-t: ", b"0\r\nx-t: ")],
    ids=["size-line", "trailer-section"],
)
def test_a_size_line_or_trailer_section_is_kept_up_to_the_cap_and_no_further(
    start: bytes, pending: bytes
) -> None:
    """Up to ``max_bytes`` of a size line or trailer section still coming are kept; one byte
    more and nothing is, ``overflowed`` says so, and no later request is taken as sent."""
    lines = RequestLines(64)
    lines.received(b"POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
    assert lines.sent_as(b"POST", b"/c", "1.1", None)
    lines.received(start + b"a" * (64 - len(pending)))
    assert not lines.overflowed
    lines.received(b"a")
    assert lines.overflowed
    lines.received(b"a" * 1_000_000 + b"\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n")
    assert not lines.sent_as(b"GET", b"/", "1.1", 0)


@pytest.mark.parametrize(
    "whole",
    [
        lambda n: b"3;" + b"a" * (n - 2) + b"\r\nabc\r\n0\r\n\r\n",
        lambda n: b"3\r\nabc\r\n0\r\nx-t: " + b"a" * (n - 8) + b"\r\n\r\n",
    ],
    ids=["size-line", "trailer-section"],
)
def test_a_size_line_or_trailer_section_past_the_cap_is_refused_even_whole_in_one_read(
    whole: Callable[[int], bytes],
) -> None:
    """The cap holds for a line or section that arrives whole in one read as for one still
    coming: one byte past ``max_bytes`` is ``overflowed``, and nothing after it is sent."""
    head = b"POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
    within = RequestLines(64)
    within.received(head + whole(64) + b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    assert within.sent_as(b"POST", b"/c", "1.1", None)
    assert not within.overflowed
    assert within.sent_as(b"GET", b"/", "1.1", 0)
    past = RequestLines(64)
    past.received(head + whole(65) + b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    assert past.sent_as(b"POST", b"/c", "1.1", None)
    assert past.overflowed
    assert not past.sent_as(b"GET", b"/", "1.1", 0)
