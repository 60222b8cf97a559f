"""What a request head must be, beyond what each request parser checks on its own: the rules
of RFC 9112 that both parsers the server offers are held to, so that no proxy in front of a
service can frame or route a request other than the service does, and h11's connection
reading every head by them (httptools reads them in ``parsers.GuardedHttpTools``).

Each refusal is ``request_invalid`` (400), or ``request_head_too_large`` (431), and the
connection is closed: what follows a head read one way by one party and another way by the
next cannot be framed. Both parsers answer each alike (status, code and description): a head
broken before its end is refused at its broken line on both, ended or not.
"""

from __future__ import annotations

import re
from typing import Final

import h11

# h11's buffer and its blank-line search (h11 0.16, pinned in constraints.txt): a head's bytes
# are only seen whole there, before h11 splits them into lines and forgets how they ended.
# Its grammar of a request line and a field line reads the lines of a head not yet ended.
from h11._readers import header_field_re, request_line_re
from h11._receivebuffer import ReceiveBuffer, blank_line_regex

from civicid.errors import REQUEST_INVALID, Error
from civicid.shell.errors import REQUEST_HEAD_TOO_LARGE

# The HTTP versions served (the request line's, as each parser gives it). HTTP/0.9 has no
# head to check (nor status line to answer with), HTTP/2 is not spoken over this framing.
VERSIONS: Final = frozenset({"1.1", "1.0"})
# The one transfer coding a request may use (RFC 9112 §6.1, §7): a body in another (gzip,
# compress, deflate) would reach the app still coded, where a proxy might have decoded it.
CHUNKED: Final = b"chunked"
# Bytes no head may carry (RFC 9110 §5.5: controls but HTAB, CR and LF; CR and LF only as a
# line's end, checked apart).
CONTROLS: Final = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# A Transfer-Encoding field (names are case-insensitive; no white space before the colon,
# which h11 refuses) and a Content-Length one, at the start of a line.
# The digits of a chunk's size (RFC 9112 §7.1).
HEX_DIGITS: Final = b"0123456789abcdefABCDEF"
TRANSFER_ENCODING: Final = re.compile(rb"\ntransfer-encoding:", re.IGNORECASE)
CONTENT_LENGTH: Final = re.compile(rb"\ncontent-length:", re.IGNORECASE)
# Empty lines (CRLF) skipped before a request line: RFC 9112 §2.2 has a server ignore at least
# one (clients once sent a CRLF after a POST body, read as before the next request); Apache
# httpd skips at most ten (DEFAULT_LIMIT_BLANK_LINES). More is no client's robustness: the
# request is refused. Their bytes count towards the head's cap and its deadline all the same.
MAX_EMPTY_LINES: Final = 10
EMPTY_LINE: Final = b"\r\n"
# What ends every request head the servers read (its last line's CRLF and the empty line).
HEAD_END: Final = b"\r\n\r\n"


def malformed() -> Error:
    """A head a parser cannot read as HTTP/1.1 (its own refusal, or a byte or line end no head
    may carry)."""
    return REQUEST_INVALID("the request head is not HTTP/1.1")


def version_refused(version: str) -> Error:
    return REQUEST_INVALID(f"HTTP/{version} is not served: HTTP/1.1 is (or HTTP/1.0)")


def target_refused() -> Error:
    """RFC 9112 §3.2: a target is a path (origin-form), or ``*`` for OPTIONS. The
    absolute-form, which §3.2.2 has servers accept, is refused: no service is a proxy and no
    client of ours sends it, and a request naming its host both in the target and in Host
    could be routed by one and answered by the other."""
    return REQUEST_INVALID("the request target is not a path")


def coding_refused() -> Error:
    """RFC 9112 §6.1: chunked is the only transfer coding read, once and last."""
    return REQUEST_INVALID("a transfer coding other than chunked alone")


def framing_refused() -> Error:
    """RFC 9112 §6.1 and §6.3: a request with both Transfer-Encoding and Content-Length, or
    an HTTP/1.0 one with Transfer-Encoding, is framed one way by some parsers and another by
    others (request smuggling): refused, not read by the one rule a parser picked."""
    return REQUEST_INVALID("the request's body is framed ambiguously")


def too_large(max_bytes: int) -> Error:
    return REQUEST_HEAD_TOO_LARGE(f"the request head is over {max_bytes} bytes")


def framing_too_large(max_bytes: int) -> Error:
    """A chunked body's framing (a size line with its extensions, or the trailer section,
    whose fields are header fields) held to a head's cap: ``RequestLines.overflowed``."""
    return REQUEST_HEAD_TOO_LARGE(
        f"a chunk's size line or the trailer section is over {max_bytes} bytes"
    )


def target_served(target: bytes, method: bytes) -> bool:
    """Whether ``target`` is a path, or ``*`` with OPTIONS (RFC 9112 §3.2.1, §3.2.4), with no
    fragment: a fragment is the client's own (RFC 9110 §4.2.5, never sent), and a target
    with one is read by some as part of the path or query and cut off by others."""
    if b"#" in target:
        return False
    return target[:1] == b"/" or (target == b"*" and method == b"OPTIONS")


def line_refused() -> Error:
    """RFC 9112 §3: a request line is a method, a target and the version, one space apart
    (§3 allows a recipient to read runs of white space as one, but one that does reads a
    request a proxy in front may have read otherwise). Before it, up to ``MAX_EMPTY_LINES``
    empty lines, each a CRLF (§2.2); a bare CR or LF there is a line end to some parsers only."""
    return REQUEST_INVALID(
        "the request line is not a method, a target and a version, one space apart, "
        f"with at most {MAX_EMPTY_LINES} empty lines (CRLF) before it"
    )


def empty_lines(data: bytes | bytearray, at: int) -> int:
    """How many empty lines (CRLF) ``data`` holds from ``at`` on, counting no further than
    one past ``MAX_EMPTY_LINES``."""
    count = 0
    while count <= MAX_EMPTY_LINES and data.startswith(EMPTY_LINE, at + 2 * count):
        count += 1
    return count


class RequestLines:
    """Where each request of a connection begins, for a parser that skips empty lines before
    a request line and reads runs of spaces in it as one without saying so (httptools):
    each request line is compared with the bytes sent, at the place its request begins.

    ``received`` is given every byte the parser is given, before it; ``sent_as`` is asked,
    as each head completes, whether its request line was sent as read, and learns from its
    framing (a Content-Length, or chunked) where the next request begins. The parser has
    read each head and body by the same framing (it refuses what it cannot frame), so the
    next request's place is known exactly; a chunked body is followed chunk by chunk. Only
    the bytes from the next unread place on are kept (at most a head and one read).

    A chunk's size line (with its extensions) or a trailer section longer than ``max_bytes``
    is not kept: ``overflowed`` says so, and the server refuses the request. Kept, an endless
    one was copied and searched again at every read, the event loop's time growing with the
    square of what one client sent."""

    __slots__ = ("_at", "_chunked", "_data", "_end", "_lost", "_skip", "max_bytes", "overflowed")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.overflowed = False  # a size line or trailer section ran past ``max_bytes``
        self._end = 0  # the bytes received on the connection: ``_data`` ends there
        self._data = b""  # bytes received from the next place to read on (at ``_at``)
        self._at = 0  # that place: a request's first byte, or a chunk's size line
        self._skip = 0  # body bytes still to come before that place
        self._chunked = False  # the place is within a chunked body, not a request
        self._lost = False  # a chunked body's framing could not be followed

    def received(self, data: bytes) -> None:
        self._end += len(data)
        if self._lost:
            return  # every later request is refused: nothing more is worth keeping
        if self._skip:
            if len(data) <= self._skip:
                self._skip -= len(data)
                return
            data, self._skip = data[self._skip :], 0
        if self._at >= len(self._data):
            self._data, self._at = data, 0
        else:
            self._data, self._at = self._data[self._at :] + data, 0
        if self._chunked:
            self._chunks()

    def within(self, start: int, heads: int) -> int:
        """How many of the bytes received from ``start`` on (counted from the connection's
        first) a parser may be given and complete at most ``heads`` request heads. Each head
        ends with ``HEAD_END``, past the requests already read (their heads and the bodies
        their framing gives): the bytes up to the ``heads``-th such end past ``start`` (one
        that began before it included), or all of them if there are fewer. An end counted
        that is a body's, or an empty line's, makes the count smaller, never larger."""
        if heads < 1:
            return 0
        data, end = self._data, self._end
        origin = end - len(data)  # where ``_data`` begins
        at = max(start - len(HEAD_END) + 1, origin + self._at + self._skip) - origin
        for _ in range(heads):
            found = data.find(HEAD_END, at)
            if found < 0:
                return end - start
            at = found + len(HEAD_END)
        return origin + at - start

    def sent_as(self, method: bytes, target: bytes, version: str, body: int | None) -> bool:
        """Whether the request whose head is complete began where the last one ended with
        ``method SP target SP HTTP/version CRLF``, after at most ``MAX_EMPTY_LINES`` empty
        lines; its body is ``body`` bytes (None: chunked)."""
        if self._lost or self._chunked:
            return False
        data, at = self._data, self._at
        skipped = empty_lines(data, at)  # the parser skipped them (and bare CRs and LFs)
        if skipped > MAX_EMPTY_LINES:
            return False
        at += 2 * skipped
        line = b"%s %s HTTP/%s\r\n" % (method, target, version.encode("ascii"))
        if not data.startswith(line, at):
            return False
        # The head ends at its first empty line: no line of a head the parser read holds a
        # CR or LF but its end (no obs-fold, no bare CR or LF).
        end = data.find(b"\r\n\r\n", at + len(line) - 2)
        if end < 0:
            return False
        end += 4
        if body is None:
            self._at, self._chunked = end, True
            self._chunks()
        elif end + body > len(data):
            self._data, self._at, self._skip = b"", 0, end + body - len(data)
        else:
            self._at = end + body
        return True

    def _chunks(self) -> None:
        """Follow a chunked body (RFC 9112 §7.1) as far as the bytes received go."""
        data, at = self._data, self._at
        while True:
            eol = data.find(b"\r\n", at)
            if eol < 0:
                break  # the size line is not whole yet
            if eol - at > self.max_bytes:  # whole in one read, and past the cap all the same
                self._overflow()
                return
            size = data[at:eol].partition(b";")[0]
            if not size or size.strip(HEX_DIGITS):
                self._lost = True  # the parser refuses it too
                return
            length = int(size, 16)
            if length:
                at = eol + 2 + length + 2  # the chunk's data and its CRLF
                if at > len(data):
                    self._data, self._at, self._skip = b"", 0, at - len(data)
                    return
                continue
            # The last chunk: a trailer section (maybe empty), then an empty line.
            end = data.find(b"\r\n\r\n", eol)
            if end < 0:
                break
            if end - at > self.max_bytes:  # the last chunk's line and its trailers, whole
                self._overflow()
                return
            at, self._chunked = end + 4, False
            break
        self._at = at
        if self._chunked and len(data) - at > self.max_bytes:  # a line or trailers unended
            self._overflow()

    def _overflow(self) -> None:
        """A size line or trailer section past ``max_bytes``: nothing more is followed."""
        self.overflowed = self._lost = True
        self._data, self._at = b"", 0


class StrictHeads(ReceiveBuffer):
    """h11's receive buffer, holding each head (and trailer section) whole to these rules
    before h11 reads it: its bytes under the cap, none of ``FORBIDDEN_BYTES``, and its body
    framed one way. A head that breaks one is refused with ``refused`` set."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.refused: Error | None = None
        # A request line is awaited (not a trailer section, whose empty line ends it).
        self.awaiting_request = True
        self._empty_lines = 0  # skipped before the request line awaited
        # A head not yet ended: where its first line not yet ended begins, and how far its
        # bytes were searched (``_check_unended``).
        self._checked = 0
        self._scanned = 0

    def maybe_extract_lines(self) -> list[bytearray] | None:
        """h11's, reading the head whole before it is split into lines: within the cap; no
        control byte; every line ended by CRLF (a bare LF ends a line for some parsers and
        not others, a bare CR is a line end to some); no line that begins with white space
        (obs-fold, RFC 9112 §5.2: one parser's continuation is another's new field); not
        framed both ways, nor chunked in HTTP/1.0 (RFC 9112 §6.1, §6.3). Up to
        ``MAX_EMPTY_LINES`` empty lines before a request line are skipped (§2.2)."""
        data = self._data
        if self.awaiting_request and data[:2] == EMPTY_LINE:
            skipped = empty_lines(data, 0)
            self._empty_lines += skipped
            if self._empty_lines > MAX_EMPTY_LINES:
                self._refuse(line_refused())
            self._extract(2 * skipped)
            self._checked = self._scanned = 0
            data = self._data
        if data[:1] == b"\n" or data[:2] == b"\r\n":  # an empty line: h11 refuses or ends
            return super().maybe_extract_lines()
        found = blank_line_regex.search(data, self._multiple_lines_search)
        if found is None:
            self._multiple_lines_search = max(0, len(data) - 2)
            self._check_unended(data)
            return None
        end = found.end()
        if end > self.max_bytes:
            self._refuse(too_large(self.max_bytes))
        head = self._extract(end)
        self._empty_lines = 0  # the next request's are counted afresh
        self._checked = self._scanned = 0
        lines = head.count(b"\r\n")
        if (
            head.count(b"\n") != lines
            or head.count(b"\r") != lines
            or b"\n " in head
            or b"\n\t" in head
            or len(head.translate(None, CONTROLS)) != end
        ):
            self._refuse(malformed())
        if TRANSFER_ENCODING.search(head):
            line = head.find(b"\r\n")  # the request line's end (a trailer section has none)
            if CONTENT_LENGTH.search(head) or head[line - 9 : line] == b" HTTP/1.0":
                self._refuse(framing_refused())
        return head[:-4].split(b"\r\n")  # its lines, as h11 splits them

    def _check_unended(self, data: bytearray) -> None:
        """A head (or trailer section) not yet ended, read as far as its lines are: each line
        ended so far by the grammar h11 reads a whole head by, and no byte so far one no head
        may carry (a control, a bare CR or LF). Refused at once, as httptools refuses a head
        at its first broken line, not at the cap (431) or the deadline: both parsers answer
        a broken head alike, whether or not it ever ends. Each byte is searched once, however
        the head is cut into reads (searched again at each, a head sent a byte at a time
        cost time growing with the square of its size)."""
        at, scanned = self._checked, self._scanned
        while (end := data.find(b"\r\n", max(at, scanned - 1))) >= 0:
            line = bytes(data[at:end])
            grammar = request_line_re if at == 0 and self.awaiting_request else header_field_re
            if not self._clean(line) or not grammar.fullmatch(line):
                self._refuse(malformed())
            at = scanned = end + 2
        # The last line, not yet ended, holds no CRLF: any CR or LF in it is a bare one, but
        # a CR last, whose LF may be coming.
        new = bytes(data[max(at, scanned) :])
        if not self._clean(new.removesuffix(b"\r")):
            self._refuse(malformed())
        self._checked = at
        self._scanned = len(data) - new.endswith(b"\r")

    @staticmethod
    def _clean(part: bytes) -> bool:
        """No control byte, CR or LF (a line's end taken off)."""
        return (
            b"\r" not in part
            and b"\n" not in part
            and len(part.translate(None, CONTROLS)) == len(part)
        )

    def is_next_line_obviously_invalid_request_line(self) -> bool:
        """h11's (a request line begins with no control byte), but for a CR alone: the first
        half of an empty line whose LF is still to come."""
        if self.awaiting_request and self._data == b"\r":
            return False
        return super().is_next_line_obviously_invalid_request_line()

    def _refuse(self, error: Error) -> None:
        self.refused = error
        raise h11.RemoteProtocolError(error.message, error_status_hint=error.http_status)


class StrictConnection(h11.Connection):
    """h11's server connection reading every head by these rules: its bytes in
    ``StrictHeads``, its request line here. ``refused`` is the error a head was refused
    with (one of these rules, or h11's own refusal as ours), if one was."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_bytes)
        self._heads = StrictHeads(max_bytes)
        self._receive_buffer = self._heads
        self._refused: Error | None = None

    @property
    def refused(self) -> Error | None:
        return self._refused or self._heads.refused

    def next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        state = self.their_state  # h11 sets it to ERROR as it refuses
        self._heads.awaiting_request = state is h11.IDLE
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            if self.refused is None:  # h11's own refusal: told by its hint, not by its buffer
                # 431: no head complete within the cap, or within a chunked body no size line
                # or trailer section (said as httptools says it, ``RequestLines``). Else
                # malformed, however many bytes were pipelined behind it.
                cap = self._heads.max_bytes
                if exc.error_status_hint != 431:
                    self._refused = malformed()
                elif state is h11.SEND_BODY:
                    self._refused = framing_too_large(cap)
                else:
                    self._refused = too_large(cap)
            raise
        if type(event) is h11.Request:
            version = event.http_version.decode("ascii")
            if version not in VERSIONS:
                self._refuse(version_refused(version))
            if not target_served(event.target, event.method):
                self._refuse(target_refused())
        return event

    def _refuse(self, error: Error) -> None:
        self._refused = error
        raise h11.RemoteProtocolError(error.message, error_status_hint=error.http_status)
