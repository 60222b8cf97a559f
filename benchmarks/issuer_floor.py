"""The floors under an issuance over HTTP: the same four round trips (offer, token, nonce,
credential), answered with the issuer's own answers (recorded once), by

- ``echo``: a bare server on the same event loop, as fast as Python can answer (no parsing
  but the head's end and Content-Length, no checks, no store, no cryptography): what the
  kernel's sockets (a loopback send runs the receiver's side of TCP too, and wakes the
  client), the event loop's wake-ups and the least Python per request cost with client and
  server on the same cores. No HTTP server can answer the four calls for less.
- ``served``: the shell's guarded server (``civicid.shell.server``: uvicorn, httptools, every
  guard, the body limits) with a bare ASGI app: what the served stack costs before the
  issuer's app does anything.

``python -m benchmarks.issuer`` prints both beside the issuer server's CPU
(``issuer.http_rows``); run alone: ``python -m benchmarks.issuer_floor PORT ANSWERS.json MODE``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar, Final, cast

from cli.harness import wait_until_healthy

# A request head larger than this is not one the load generator sends (it would be a bug).
MAX_HEAD_BYTES: Final = 64 * 1024
HEALTH: Final = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


def answer(status: int, body: bytes) -> bytes:
    """A whole answer with the head the issuer's answers carry (status, no-store, length,
    type)."""
    head = (
        f"HTTP/1.1 {status} OK\r\ncache-control: no-store\r\n"
        f"content-length: {len(body)}\r\ncontent-type: application/json\r\n\r\n"
    )
    return head.encode("ascii") + body


class Echo(asyncio.Protocol):
    """Each request, once its head and body are in, answered by its method and path."""

    answers: ClassVar[dict[tuple[bytes, bytes], bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self.transport.close()
                return
            lines = self.buffer[:end].split(b"\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            method, path, _ = lines[0].split(b" ", 2)
            self.transport.write(self.answers.get((method, path.split(b"/", 2)[1]), HEALTH))


Message = dict[str, Any]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
MODES: Final = ("echo", "served")
JSON_HEAD: Final = ((b"content-type", b"application/json"),)


def asgi_answer(status: int, body: bytes) -> Answer:
    """``answer``'s head as an ASGI app sends it (its length given: else it is chunked)."""
    length = (b"content-length", str(len(body)).encode("ascii"))
    return status, [(b"cache-control", b"no-store"), length, *JSON_HEAD], body


HEALTH_ANSWER: Final[Answer] = asgi_answer(200, b"{}")


def bare_app(answers: dict[tuple[bytes, bytes], Answer]) -> Any:
    """An ASGI app answering each request by its method and path, its body read first."""

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        key = (scope["method"].encode(), scope["path"].split("/", 2)[1].encode())
        status, headers, body = answers.get(key, HEALTH_ANSWER)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve_floor(answers: Path, port: int, cwd: Path, mode: str) -> subprocess.Popen[bytes]:
    """The floor server of ``mode`` in its own process (as the issuer is), once it answers."""
    command = [sys.executable, "-m", "benchmarks.issuer_floor", str(port), str(answers), mode]
    proc = subprocess.Popen(command, cwd=cwd)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def main(argv: list[str]) -> None:
    port, recorded, mode = int(argv[0]), json.loads(Path(argv[1]).read_text("utf-8")), argv[2]
    # Keyed by method and the path's first segment (an offer by reference has its id after).
    keys = [(m.encode(), path.split("/", 2)[1].encode()) for m, path, _, _ in recorded]
    if mode == "served":
        from civicid.shell.server import listen, serve, server_config
        from civicid.shell.settings import ServiceSettings

        app = bare_app(
            {
                key: asgi_answer(status, body.encode("utf-8"))
                for key, (*_, status, body) in zip(keys, recorded, strict=True)
            }
        )
        settings = ServiceSettings()
        serve(server_config(settings, app), listen("127.0.0.1", port))
        return
    Echo.answers = {
        key: answer(status, body.encode("utf-8"))
        for key, (*_, status, body) in zip(keys, recorded, strict=True)
    }

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    try:
        import uvloop

        uvloop.run(run())
    except ImportError:
        asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1:])
