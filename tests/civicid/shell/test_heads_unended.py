"""h11's connection (``heads.StrictConnection``) reads a head not yet ended line by line, as
httptools does: a broken line is refused as soon as it has ended (a bare CR or LF, or a
control byte, as soon as it arrives), not at the cap nor at the deadline; a good head sent a
byte at a time is read as it was sent; and within a chunked body, framing past the cap is
named as the framing, not as a head."""

from __future__ import annotations

import h11
import pytest

from civicid.shell.heads import StrictConnection, framing_too_large, malformed, too_large

CAP = 4096
GOOD = b"GET /health HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n\r\n"


def feed(conn: StrictConnection, data: bytes) -> object:
    """``data`` a byte at a time; the first event that is not NEED_DATA (or NEED_DATA)."""
    event: object = h11.NEED_DATA
    for byte in data:
        conn.receive_data(bytes([byte]))
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
    return event


def test_a_good_head_a_byte_at_a_time_is_read() -> None:
    conn = StrictConnection(CAP)
    event = feed(conn, GOOD)
    assert isinstance(event, h11.Request) and event.target == b"/health"
    assert (b"x-a", b"1") in list(event.headers) and conn.refused is None


@pytest.mark.parametrize(
    ("sent", "refused_after"),
    [
        (b"GET /health HTTP/1.1\r\nhost: x\r\nx a: 1\r\n", b"x a: 1\r\n"),  # space in a name
        (b"GET /health HTTP/1.1\r\nhost: x\r\nno colon\r\n", b"no colon\r\n"),
        (b"GET /health HTTP/1.1\r\nhost: x\r\n x-fold: 1\r\n", b" x-fold: 1\r\n"),  # obs-fold
        (b"GET  /health HTTP/1.1\r\n", b"GET  /health HTTP/1.1\r\n"),  # not one space apart
        (b"GET /health HTTP/1.1\r\nhost: x\n", b"\n"),  # a bare LF, at once
        (b"GET /health HTTP/1.1\r\nhost: x\rx", b"\rx"),  # a bare CR, once it is one
        (b"GET /health HTTP/1.1\r\nhost: \x01", b"\x01"),  # a control byte, at once
    ],
)
def test_a_broken_line_is_refused_before_the_head_ends(sent: bytes, refused_after: bytes) -> None:
    conn = StrictConnection(CAP)
    before = sent[: len(sent) - len(refused_after)]
    assert feed(conn, before + refused_after[:-1]) is h11.NEED_DATA  # not yet
    conn.receive_data(refused_after[-1:])
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    assert conn.refused is not None and conn.refused.code == "request_invalid"
    assert conn.refused.message == malformed().message


def test_a_good_line_never_ended_is_over_the_cap() -> None:
    conn = StrictConnection(CAP)
    conn.receive_data(b"GET /health HTTP/1.1\r\nx-a: " + b"a" * CAP)
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    assert conn.refused is not None and conn.refused.message == too_large(CAP).message


@pytest.mark.parametrize(
    "framing",
    [b"3;x=" + b"a" * CAP, b"3\r\nabc\r\n0\r\nx-t: " + b"a" * CAP],
    ids=["size-line", "trailer-section"],
)
def test_framing_past_the_cap_in_a_body_is_named_as_framing(framing: bytes) -> None:
    conn = StrictConnection(CAP)
    conn.receive_data(b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
    assert isinstance(conn.next_event(), h11.Request)
    conn.receive_data(framing)
    with pytest.raises(h11.RemoteProtocolError):
        while conn.next_event() is not h11.NEED_DATA:
            pass
    assert conn.refused is not None
    assert conn.refused.code == "request_head_too_large"
    assert conn.refused.message == framing_too_large(CAP).message
