"""Run the parts as real HTTP services on loopback: for the demo, ``up``, tests and
benchmarks alike (one readiness poll, no sleeps)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final

from civicid.errors import Unavailable, declare

if TYPE_CHECKING:
    import uvicorn

    from civicid.shell.settings import ServiceSettings

# How long to wait for a service started here to answer before giving up.
STARTUP_TIMEOUT: Final = 20.0
# Between readiness polls: a service in a thread answers within tens of milliseconds, and a
# refused connection on loopback costs next to nothing, so poll often.
POLL_INTERVAL: Final = 0.01

SERVICE_START_FAILED = declare(
    "service_start_failed", Unavailable, "a service started here did not come up"
)


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
    if config is None and settings is not None:
        config = server_config(settings, app)
    if config is None:
        config = uvicorn.Config(app, log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    try:
        wait_until_healthy(url, alive=thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
