"""One bounded HTTP transport for every client the parts need (ledger, issuer, verifier,
wallet): a connect/read timeout per operation, an overall deadline per call, a cap on the
bytes read from an answer, and every foreign exception turned into one of ours at the edge.

An error answer whose body is ``{"error": code, "error_description": text}`` (our services,
OAuth 2.0 §5.2, OpenID4VCI/VP) is raised as that code with the class its HTTP status names.
"""

from __future__ import annotations

import contextvars
import functools
import json
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import httpcore
import httpx

from civicid.encoding import parse_json
from civicid.errors import (
    Conflict,
    Error,
    Gone,
    InvalidInput,
    NotFound,
    Refused,
    TooLarge,
    Unauthorized,
    Unavailable,
    declare,
)

# Per-operation timeout (connect, read a chunk, write): a quiet peer is not a slow one.
DEFAULT_TIMEOUT: Final = 10.0
# Whole-call deadline: a peer dripping a byte at a time cannot hold a caller past this.
DEFAULT_DEADLINE: Final = 30.0
# Our services never answer more than this; refuse rather than buffer a hostile answer.
MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024

STATUS_ERRORS: Final[dict[int, type[Error]]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Refused,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: TooLarge,
}

HTTP_UNREACHABLE = declare("http_unreachable", Unavailable, "the service cannot be reached")
HTTP_DEADLINE = declare("http_deadline", Unavailable, "the service took too long to answer")
HTTP_RESPONSE_TOO_LARGE = declare(
    "http_response_too_large", Unavailable, "the service's answer is larger than allowed"
)
HTTP_RESPONSE_MALFORMED = declare(
    "http_response_malformed", Unavailable, "the service answered outside the protocol"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """A fully read, bounded HTTP answer."""

    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, or ``http_response_malformed``."""
        # I-JSON, as every service reads its requests: a lying peer's NaN, lone surrogate,
        # byte order mark, member named twice or "[[[[…" deeper than any answer of ours is
        # refused, not read one way here and another by the next reader.
        return parse_json(self.content, code=HTTP_RESPONSE_MALFORMED)

    def json_object(self) -> dict[str, Any]:
        value = self.json()
        if not isinstance(value, dict):
            raise HTTP_RESPONSE_MALFORMED("the answer is not a JSON object")
        return value

    def raise_for_error(self) -> None:
        """Turn an error answer into our error, keeping the server's code. A redirect
        (3xx) is not followed (a client goes only where it was sent: a hop elsewhere would
        carry its request past the checks made on the URL) and is told as such, not read
        as the body the caller expected."""
        if 300 <= self.status < 400:
            where = self.headers.get("location")
            to = f" to {where[:200]}" if where else ""
            raise HTTP_RESPONSE_MALFORMED(
                f"the service answered with a redirect (HTTP {self.status}{to}), not followed"
            )
        if self.status < 400:
            return
        try:
            body = json.loads(self.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = {}
        code: Any = body.get("error") if isinstance(body, dict) else None
        message: Any = body.get("error_description", "") if isinstance(body, dict) else ""
        if isinstance(code, dict):  # DID Resolution's error object: our code beside its type
            spec_name = str(code.get("type", "")).rsplit("#", 1)[-1]
            code, message = code.get("code") or spec_name, code.get("title", "")
        cls = STATUS_ERRORS.get(self.status, Unavailable)
        text = str(message or f"HTTP {self.status}")[:500]
        raise cls(str(code or f"http_{self.status}")[:100], text)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process. Building one loads the whole CA
    bundle (~0.1 s of CPU on 2 busy cores), which each client (every ledger client a service,
    wallet or command opens) paid anew; a context is safe to share between clients and threads.
    Read once: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` set later in the process are not seen."""
    return httpx.create_ssl_context()


# When the call this thread is making must be over (``time.monotonic``), or None outside one.
_CALL_ENDS: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "civicid_http_call_ends", default=None
)


def _within_call(timeout: float | None, expired: type[Exception]) -> float | None:
    """An operation's timeout, cut to what is left of the call's deadline: a peer sending
    its status line and headers a byte at a time, each within the per-operation timeout, is
    given up on at the deadline too (httpx's timeouts are per operation only, and the head is
    read before the body's chunks, where the deadline was checked)."""
    ends = _CALL_ENDS.get()
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    if left <= 0:
        raise expired("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the deadline of the call using it."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_call(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_call(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit = _within_call(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, limit))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each wrapped in a ``_DeadlineStream``."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        limit = _within_call(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, limit, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        limit = _within_call(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, limit, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over ``_DeadlineBackend``: its pool is made again with that backend
    (``HTTPTransport`` takes no backend of its own), with httpx's default limits."""

    def __init__(self) -> None:
        super().__init__(verify=tls_context())
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )


class HttpClient:
    """A synchronous client bound to one base URL, with every limit above."""

    def __init__(
        self,
        base_url: str = "",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=_DeadlineTransport() if transport is None else transport,
            headers=headers,
            verify=tls_context(),
        )

    def request(
        self, method: str, url: str, *, max_bytes: int | None = None, **kwargs: Any
    ) -> Answer:
        """Send and read the whole answer within the deadline and the byte cap (this
        answer's own ``max_bytes`` when given)."""
        start = time.monotonic()
        cap = self.max_bytes if max_bytes is None else max_bytes
        ends = _CALL_ENDS.set(start + self.deadline)
        try:
            with self.http.stream(method, url, **kwargs) as response:
                body = bytearray()
                # A response built in memory (a mock transport) arrives already read.
                raw = [response.content] if response.is_stream_consumed else response.iter_raw()
                for chunk in raw:
                    body += chunk
                    if len(body) > cap:
                        raise HTTP_RESPONSE_TOO_LARGE(f"more than {cap} bytes")
                    if time.monotonic() - start > self.deadline:
                        raise HTTP_DEADLINE(f"no complete answer within {self.deadline:.0f} s")
                content = _decode(response, bytes(body), cap)
        except httpx.TimeoutException as exc:
            if time.monotonic() - start >= self.deadline:
                raise HTTP_DEADLINE(
                    f"no complete answer from {_where(exc, url)} within {self.deadline:.0f} s"
                ) from exc
            raise HTTP_DEADLINE(f"{_where(exc, url)} timed out: {exc}") from exc
        except httpx.HTTPError as exc:
            raise HTTP_UNREACHABLE(f"cannot reach {_where(exc, url)}: {exc}") from exc
        finally:
            _CALL_ENDS.reset(ends)
        return Answer(response.status_code, response.headers, content)

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Answer:
        return self.request("POST", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        answer = self.get(url, **kwargs)
        answer.raise_for_error()
        return answer.json()

    def post_json(self, url: str, **kwargs: Any) -> Any:
        answer = self.post(url, **kwargs)
        answer.raise_for_error()
        return answer.json()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _where(exc: httpx.HTTPError, url: str) -> str:
    """The whole URL a failed request went to (host included: a path alone, as a client
    bound to a base URL has it, does not say which server could not be reached)."""
    try:
        return str(exc.request.url)
    except RuntimeError:  # httpx raises when the error carries no request
        return url or "the service"


def _decode(response: httpx.Response, raw: bytes, max_bytes: int) -> bytes:
    """Undo a content encoding, never inflating past ``max_bytes`` (a zip bomb is refused)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "deflate"):
        raise HTTP_RESPONSE_MALFORMED(f"unsupported content-encoding {encoding!r}")
    import zlib

    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise HTTP_RESPONSE_MALFORMED("the answer's compression is corrupt") from exc
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise HTTP_RESPONSE_TOO_LARGE(f"more than {max_bytes} bytes once inflated")
    return out
