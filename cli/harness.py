"""Run the parts as real HTTP services on loopback: for the demo, ``up``, tests and
benchmarks alike (one readiness poll, no sleeps)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from civicid.errors import Error, Unavailable, declare

if TYPE_CHECKING:
    import uvicorn

    from civicid.shell.settings import ServiceSettings

# How long to wait for a service started here to answer before giving up. A ledger opening
# from its snapshot took 9 s on two cores at load 15 and over 20 s at load 20; a service
# that dies is seen at once (``alive``), so the bound only ends a start that hangs.
STARTUP_TIMEOUT: Final = 60.0
# Between readiness polls: a service in a thread answers within tens of milliseconds, and a
# refused connection on loopback costs next to nothing, so poll often.
POLL_INTERVAL: Final = 0.01

SERVICE_START_FAILED = declare(
    "service_start_failed", Unavailable, "a service started here did not come up"
)


Message = MutableMapping[str, Any]
ASGI = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
# What uvicorn logs once an application's start-up failed: said by our own line instead.
STARTUP_FAILED_LOG: Final = "Application startup failed. Exiting."


class Startup(logging.Filter):
    """``app``, remembering the error its start-up raised (a store or trust file found
    damaged): ``serving`` then raises that error, one line with its code, instead of
    uvicorn's traceback and "did not start". Any other failure is logged with its traceback."""

    def __init__(self, app: object) -> None:
        super().__init__()
        self.app: ASGI = app  # type: ignore[assignment]
        self.failure: Error | None = None

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def quiet(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                message = {**message, "message": ""}  # the traceback: said below, or not at all
            await send(message)

        try:
            await self.app(scope, receive, quiet)
        except Error as exc:
            self.failure = exc
            raise
        except OSError as exc:  # a file the disk or a person left unusable: as the CLI says it
            from civicid.console import FILE_ACCESS_FAILED

            where = f"{exc.filename}: " if exc.filename is not None else ""
            self.failure = FILE_ACCESS_FAILED(f"{where}{exc.strerror or exc}")
            raise
        except Exception:
            logging.getLogger("uvicorn.error").exception("service start-up failed")
            raise

    def filter(self, record: logging.LogRecord) -> bool:
        return self.failure is None or record.getMessage() != STARTUP_FAILED_LOG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(
    url: str, *, alive: Callable[[], bool], timeout: float = STARTUP_TIMEOUT
) -> None:
    """Poll ``url``/health until it answers 200 (no fixed sleeps: readiness, not hope)."""
    import httpx

    from civicid.http import tls_context

    deadline = time.monotonic() + timeout
    # One client for every poll (a new one per poll built a TLS context each time).
    with httpx.Client(timeout=1, verify=tls_context()) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url + "/health").status_code == 200:
                    return
            if time.monotonic() > deadline or not alive():
                raise SERVICE_START_FAILED(f"service at {url} did not start")
            time.sleep(POLL_INTERVAL)


@contextlib.contextmanager
def serving(
    app: object,
    port: int,
    host: str = "127.0.0.1",
    *,
    settings: ServiceSettings | None = None,
    config: uvicorn.Config | None = None,
) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread; yield its base URL once it answers.
    ``settings``: serve it as the service's own command does (``civicid.shell.server``, every
    limit); ``config``: a uvicorn configuration of ``app`` made elsewhere; neither: uvicorn's
    defaults (for stand-ins in tests)."""
    import uvicorn

    from civicid.shell.server import listen, server_config

    sock = listen(host, port)
    port = int(sock.getsockname()[1])
    startup = Startup(app)
    if config is None and settings is not None:
        config = server_config(settings, startup)
    if config is None:
        config = uvicorn.Config(startup, log_level="warning")
    server = uvicorn.Server(config)
    log = logging.getLogger("uvicorn.error")
    log.addFilter(startup)

    def run() -> None:
        with contextlib.suppress(SystemExit):  # uvicorn's word for a failed start-up: said below
            server.run(sockets=[sock])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    try:
        try:
            wait_until_healthy(url, alive=thread.is_alive)
        except Error:
            thread.join(timeout=10)
            if startup.failure is not None:
                raise startup.failure from None
            raise
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        log.removeFilter(startup)
