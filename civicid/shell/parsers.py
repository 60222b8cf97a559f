"""The request parsers the hardened server offers, each as uvicorn's protocol with the guards
of ``guards.py`` and every head read by the rules of ``heads.py``: httptools (served) and h11
(kept beside it, tested with every slow-client and malformed-head case, for measuring).

- a head's bytes are capped (``max_header_bytes``; httptools has no cap of its own, so the
  bytes of a head not yet complete are counted here): past it, 431 with our code;
- a head either parser would read otherwise than RFC 9112 has it (a transfer coding but
  chunked alone, Content-Length beside Transfer-Encoding, bare LF, obs-fold, a target that
  is not a path, HTTP/0.9 or /2.0) is refused 400 with our code;
- a response sent before its request's body was read closes the connection.

httptools: the same guards on h11 cost ~0.25 ms more CPU per request in the issuance
benchmark (``python -m benchmarks.issuer --http-only --compare-servers``;
docs/performance/README.md).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from civicid.errors import REQUEST_INVALID, Error
from civicid.shell.guards import MAX_PIPELINED, Guards, OneWrite, refusal
from civicid.shell.heads import (
    CHUNKED,
    VERSIONS,
    RequestLines,
    StrictConnection,
    coding_refused,
    framing_refused,
    framing_too_large,
    line_refused,
    malformed,
    target_refused,
    target_served,
    too_large,
    version_refused,
)


class GuardedH11(Guards, H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head and a connection budget,
    every head read by the rules of ``heads`` (h11 lets a whole head over the cap, bare LF
    line ends, obs-fold and ambiguous framing through); each answer's head and body leave in
    one write."""

    conn: StrictConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = StrictConnection(self.max_header_bytes)

    def _busy(self) -> bool:
        """A request is in flight: h11 has read more of it than nothing."""
        return self.conn.their_state is not h11.IDLE

    def _receiving(self) -> bool:
        """Its head is complete, its body still arriving, and no answer has begun."""
        cycle = self.cycle
        return (
            self.conn.their_state is h11.SEND_BODY
            and cycle is not None
            and not cycle.response_started
        )

    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:
            if data:
                self._arm()  # a head has begun (or goes on): it keeps the deadline it had
        else:
            self._disarm()  # the head is complete: the body and the app have their own
            self._track()

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        # A new request's cycle is made above and runs from the next turn of the loop.
        if cycle is not None and not isinstance(cycle.transport, OneWrite):
            # It stands in for the transport: write and close are its own, the rest passes.
            cycle.transport = cast(asyncio.Transport, OneWrite(self.transport, cycle))

    def on_response_complete(self) -> None:
        self._disarm()  # waiting for the next request is the keep-alive timer's business
        unread = self.conn.their_state is h11.SEND_BODY
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if unread:
            # Answered before its body arrived (too large, too slow, or not wanted): reading
            # the rest would let a client hold the connection by trickling it.
            self.transport.close()
        elif self.conn.their_state is h11.IDLE:
            self._rest()

    def send_400_response(self, msg: str) -> None:
        """A malformed head, or one over the byte cap (h11 or ``heads`` refuses both): our
        code in JSON."""
        self.transport.write(refusal(self.conn.refused or malformed()))
        self.transport.close()


class GuardedHttpTools(Guards, HttpToolsProtocol):
    """uvicorn's httptools protocol with the same guards as ``GuardedH11``: a deadline on each
    request head, a cap on its bytes (httptools has none: the bytes of a head not yet complete
    are counted here), the connection budget; each answer's head and body in one write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # received towards the next request head, not yet complete
        self._in_body = False  # a request's head is complete, its body not yet
        self._refused: Error | None = None  # a head refused while an answer was in flight
        self._lines = RequestLines(self.max_header_bytes)  # where each request begins, as sent
        self._held = b""  # received, not yet given to the parser from ``_held_at`` on
        self._held_at = 0  # (``MAX_PIPELINED``): kept whole, not copied at each giving
        self._parsed = 0  # the bytes given to the parser
        # Since when the connection has waited for its next request (loop time; None: it does
        # not wait). The keep-alive timer is armed once per wait's deadline, not per answer
        # (uvicorn's arms one for every answer and cancels it at the next request's first
        # byte: ~1.5 µs a request), and checks when it fires whether the wait went on.
        self._waiting_since: float | None = None

    def _busy(self) -> bool:
        """A request is in flight: its head is complete and its answer is not."""
        return self.cycle is not None and not self.cycle.response_complete

    def _receiving(self) -> bool:
        """Its head is complete, its body still arriving, no answer has begun, and no request
        before it is in flight (one pipelined waits for it in ``pipeline``)."""
        cycle = self.cycle
        return (
            self._in_body and cycle is not None and not cycle.response_started and not self.pipeline
        )

    def _may_read(self) -> bool:
        """Nothing received is held back from the parser."""
        return not self._held

    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        self._lines.received(data)
        self._held = self._held[self._held_at :] + data if self._held else data
        self._held_at = 0
        self._feed()

    def _feed(self) -> None:
        """Give the parser what was received, no more at a time than keeps the requests read
        and not answered within ``MAX_PIPELINED`` (``RequestLines.within``). The rest is held
        back, and the connection not read, until answers make room: a client that sends
        requests and never reads their answers holds no more than that (and one read)."""
        while self._held:
            room = MAX_PIPELINED - len(self.pipeline) - self._busy()
            size = self._lines.within(self._parsed, room)
            if not size:
                self.flow.pause_reading()
                return
            at = self._held_at
            data = self._held[at : at + size]
            self._held_at = at + size
            if self._held_at == len(self._held):
                self._held, self._held_at = b"", 0
            self._parsed += size
            if not self._parse(data):
                return

    def _parse(self, data: bytes) -> bool:
        """Give the parser ``data``; whether it may be given more."""
        if not self._in_body:
            self._head_bytes += len(data)
        if not self._lines.overflowed:
            super().data_received(data)  # a head completed in here resets the count
        if self.transport.is_closing():
            return False
        if self._lines.overflowed:  # followed no further: the request is refused at once
            self._refuse(framing_too_large(self.max_header_bytes))
            return False
        if self._head_bytes > self.max_header_bytes:
            self._refuse_head()
            return False
        if self._busy():
            self._track()  # a head completed in here, or a body goes on (or has ended)
        else:
            self._arm()  # a head has begun (or goes on): it keeps the deadline it had
        return self._refused is None

    def on_headers_complete(self) -> None:
        self._check_head()
        self._head_bytes = 0
        self._in_body = True
        self._disarm()  # the head is complete: the body and the app have their own
        super().on_headers_complete()
        cycle = self.cycle
        if self.parser.should_upgrade():
            # No route speaks another protocol: the request is answered as HTTP/1.1, and then
            # the connection closed (the parser reads nothing more after an upgrade).
            cycle.keep_alive = False
        # It stands in for the transport: write and close are its own, the rest passes.
        cycle.transport = cast(asyncio.Transport, OneWrite(self.transport, cycle))

    def on_message_complete(self) -> None:
        self._in_body = False
        self._head_bytes = 0  # what follows in this read is the next head's, counted from the next
        super().on_message_complete()

    def _unset_keepalive_if_required(self) -> None:
        """A request's bytes arrived (uvicorn calls this then, and as the connection is lost):
        the wait is over. Its timer, if armed, finds that when it fires (``_keep_alive``)."""
        self._waiting_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)

    def _wait(self) -> None:
        """The connection waits for its next request: closed ``timeout_keep_alive`` from now
        unless one comes (uvicorn's keep-alive, one timer per deadline)."""
        self._waiting_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive
            )

    def _keep_alive(self) -> None:
        """The keep-alive timer: closes the connection if it has waited ``timeout_keep_alive``
        for its next request; armed again for the rest if it waits since later; left unarmed
        if it does not wait (the next answer arms it)."""
        self.timeout_keep_alive_task = None
        since = self._waiting_since
        if since is None:
            return
        left = since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive)
        else:
            self.timeout_keep_alive_handler()

    def on_response_complete(self) -> None:
        self._disarm()  # waiting for the next request is the keep-alive timer's business
        # A body still coming is the answered request's own only if that request is the last
        # one parsed: one pipelined behind it has a head, so the answered one was read whole.
        unread = self._in_body and self.cycle.response_complete
        # uvicorn's (0.54), with the keep-alive timer armed by ``_wait``.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._wait()
        if unread:
            # Answered before its body arrived (too large, too slow, or not wanted): reading
            # the rest would let a client hold the connection by trickling it.
            self.transport.close()
        elif self._head_bytes > self.max_header_bytes:
            self._refuse_head()  # behind the pipelined request that runs now, if one does
        elif self._refused is not None:
            if not self._busy():  # the requests before the refused head are all answered
                self._refuse(self._refused)
        elif not self._busy():
            self._rest()
            if self._head_bytes:
                self._arm()  # the next head has begun while this answer was made
        else:
            self._track()  # the request pipelined behind it runs now, its body maybe coming
            self._feed()  # and makes room for one more

    def send_400_response(self, msg: str) -> None:
        """A malformed head (httptools refuses it, or ``_check_head``): our code in JSON."""
        self._refuse(self._refused or malformed())

    def _check_head(self) -> None:
        """What httptools lets through and ``heads`` refuses (raised here, the parser stops
        and ``send_400_response`` answers): a whole head over the byte cap (the count in
        ``data_received`` sees only heads still incomplete after a read), an HTTP/1.1 request
        without exactly one Host (RFC 9112 §3.2), HTTP/0.9 or /2.0, a target that is not a
        path, a transfer coding but chunked alone, ambiguous framing (RFC 9112 §6.1), and a
        request line sent otherwise than one space apart, or after a bare CR or LF or more
        than ``heads.MAX_EMPTY_LINES`` empty lines (httptools reads them all;
        ``heads.RequestLines``)."""
        method = self.parser.get_method()
        url = self.url
        # The head as written with one space after each colon: its line, headers, blank line.
        size = len(method) + len(url) + 14
        hosts = 0
        coding: bytes | None = None  # the Transfer-Encoding fields' values, joined
        length = b"0"  # the Content-Length (llhttp refuses two, or one that is not digits)
        for name, value in self.headers:
            size += len(name) + len(value) + 4
            if name == b"host":
                hosts += 1
            elif name == b"transfer-encoding":
                coding = value if coding is None else coding + b"," + value
            elif name == b"content-length":
                length = value
        error: Error | None = None
        version = self.parser.get_http_version()
        if size > self.max_header_bytes:
            error = too_large(self.max_header_bytes)
        elif version not in VERSIONS:
            error = version_refused(version)
        elif hosts != 1 and version == "1.1":
            error = REQUEST_INVALID("an HTTP/1.1 request names exactly one host")
        elif not target_served(url, method):
            error = target_refused()
        elif coding is not None:
            if coding.rstrip(b" \t").lower() != CHUNKED:
                error = coding_refused()
            elif version == "1.0":  # llhttp refuses Content-Length beside it already
                error = framing_refused()
        if error is None and not self._lines.sent_as(
            method, url, version, None if coding is not None else int(length)
        ):
            error = line_refused()
        elif error is None and self._lines.overflowed:  # its chunked body, received whole
            error = framing_too_large(self.max_header_bytes)
        if error is not None:
            self._refused = error
            raise error

    def _refuse(self, error: Error) -> None:
        """Answer ``error`` and close. A head behind whole requests still being answered is
        refused once they are (sent now, it would be read as the answer to the one before it);
        a malformed body is the request in flight's own, refused at once."""
        if self._busy() and not self._in_body:
            self._refused = error
            self.flow.pause_reading()
            return
        self.transport.write(refusal(error))
        self.transport.close()

    def _refuse_head(self) -> None:
        """A head over the cap: refused now, or once the answer in flight has left (sent
        before it, the refusal would be read as that request's answer)."""
        if self._busy():
            self.flow.pause_reading()
            return
        self.transport.write(refusal(too_large(self.max_header_bytes)))
        self.transport.close()


PARSERS: Final = {"h11": GuardedH11, "httptools": GuardedHttpTools}
# The request parser every service is served with (see the module's docstring).
PARSER: Final = "httptools"
