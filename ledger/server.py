"""How the ledger is served: uvicorn with the settings' limits, and a deadline on every
request's head.

uvicorn bounds idle keep-alive connections and the bytes of a head, but not the time a
client takes to send one: a client sending a header line every few seconds (slowloris) held
its connection for as long as it liked. Here each request's head (request line and
headers) must be complete within ``header_timeout`` seconds of its first byte, or of the
connection's opening; past that the connection is closed. Bodies have their own deadline
(``body_timeout``, read by the routes); idle connections the keep-alive one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ledger.settings import LedgerSettings

if TYPE_CHECKING:
    import uvicorn


class HeadDeadline(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is late."""

    header_timeout: float = 10.0  # set per server by ``protocol``

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # the first request's head is due from the moment the client connects

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and data:
            self._arm()  # a head has begun (or goes on): it keeps the deadline it had
        else:
            self._disarm()  # the head is complete: the body and the app have their own

    def on_response_complete(self) -> None:
        self._disarm()  # waiting for the next request is the keep-alive timer's business
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.warning("closing a connection whose request head took too long")
            self.transport.close()


def protocol(header_timeout: float) -> type[HeadDeadline]:
    """The protocol class with ``header_timeout`` (uvicorn makes one per connection)."""
    return type("LedgerHttp", (HeadDeadline,), {"header_timeout": header_timeout})


def server_config(settings: LedgerSettings, app: object, *, access_log: bool) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` with every limit the settings name."""
    import uvicorn

    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="info" if access_log else "warning",
        access_log=access_log,
        # Served directly, not behind a proxy, unless the operator says otherwise.
        proxy_headers=False,
        http=protocol(settings.header_timeout),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=int(settings.keep_alive),
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )
