"""What one request costs the HTTP shell, in process: request bytes fed to a server's protocol
through a stand-in transport (no sockets, no kernel), answered by a bare ASGI app, on the
event loop the server runs on (uvloop). The shell's guarded protocol with its body guard
(``civicid.shell.server``, as every service is served) beside uvicorn's own httptools
protocol with the same bare app: what the shell adds to a request, in CPU, without the
sockets' and the load generator's share that a run over TCP measures too.

Each kind of server takes turns for ``--rounds`` rounds (the machine's load drifts); each
round sends ``--requests`` requests, one at a time over one connection as a keep-alive client
does, and reads this process's CPU time (``time.process_time``). Run:
``python -m benchmarks.shell_request [--requests 20000] [--rounds 5] [--profile OUT.prof]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import uvicorn
import uvloop
from uvicorn.server import ServerState

from benchmarks.issuer_floor import Echo
from benchmarks.loadgen import run as load
from benchmarks.table import Row, render
from civicid.shell.connections import Budget
from civicid.shell.server import listen, serve, server_config
from civicid.shell.settings import ServiceSettings

PART: Final = "shell"
# The requests a client sends, as the load generators send them (``benchmarks.loadgen``): a
# GET as a resolution asks, and a POST with a small JSON body as an issuance's token call.
GET: Final = (
    b"GET /1.0/identifiers/did:civic:8f3a2b1c9d0e4f5a6b7c8d9e0f1a2b3c HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\nContent-Length: 0\r\nAccept: application/did+json\r\n\r\n"
)
BODY: Final = b'{"grant_type":"urn:ietf:params:oauth:grant-type:pre-authorized_code",' + (
    b'"pre-authorized_code":"' + b"x" * 43 + b'"}'
)
POST: Final = (
    b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\nContent-Type: application/json\r\n\r\n"
    + BODY
)
ANSWER: Final = b'{"ok":true}' * 100  # ~1.1 KB, the size of a plain resolution's answer
HEADERS: Final = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(ANSWER)).encode()),
    (b"cache-control", b"no-store"),
]


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Each request's body read, then one answer of ``ANSWER``."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": ANSWER})


class Transport(asyncio.Transport):
    """A connection's transport that keeps nothing: it counts what is written, and wakes the
    client once a whole answer has been."""

    def __init__(self, answer_bytes: int) -> None:
        super().__init__()
        self.answer_bytes = answer_bytes
        self.written = 0
        self.done: asyncio.Future[None] | None = None
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += len(data)
        if self.written >= self.answer_bytes and self.done is not None:
            self.written -= self.answer_bytes
            self.done.set_result(None)
            self.done = None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name in ("sockname", "peername"):
            return ("127.0.0.1", 8000)
        return default


def protocols() -> dict[str, Callable[[], asyncio.Protocol]]:
    """Each server's protocol factory, as uvicorn makes one per connection."""
    settings = ServiceSettings()
    guarded = server_config(settings, bare_app, process=Budget(1_000_000))
    guarded.load()
    plain = uvicorn.Config(
        bare_app, http="httptools", log_level="warning", access_log=False, lifespan="off"
    )
    plain.load()
    made: dict[str, Callable[[], asyncio.Protocol]] = {}
    for name, config in (("uvicorn httptools, unguarded", plain), ("the shell", guarded)):
        state = ServerState()

        def make(config: uvicorn.Config = config, state: ServerState = state) -> asyncio.Protocol:
            protocol: Any = config.http_protocol_class
            made: asyncio.Protocol = protocol(config=config, server_state=state, app_state={})
            return made

        made[name] = make
    return made


async def answer_size(make: Callable[[], asyncio.Protocol], request: bytes) -> int:
    """The bytes of one whole answer to ``request`` (head and body) from this server."""
    transport = Transport(1 << 60)
    protocol = make()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(100):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport.written


async def one_round(make: Callable[[], asyncio.Protocol], request: bytes, count: int) -> float:
    """CPU seconds per request for ``count`` requests over one connection."""
    loop = asyncio.get_running_loop()
    transport = Transport(await answer_size(make, request))
    protocol = make()
    protocol.connection_made(transport)
    started = time.process_time()
    for _ in range(count):
        transport.done = loop.create_future()
        done = transport.done
        protocol.data_received(request)
        await done
    used = time.process_time() - started
    protocol.connection_lost(None)
    return used / count


def rows(requests: int, rounds: int, profile: str | None) -> list[Row]:
    made = protocols()
    load = Path("/proc/loadavg").read_text().split()[0]
    kinds = {"GET (resolution)": GET, "POST with a body (token)": POST}
    used: dict[tuple[str, str], list[float]] = {(k, s): [] for k in kinds for s in made}

    async def timed() -> None:
        for kind, request in kinds.items():
            for make in made.values():
                await one_round(make, request, requests // 10)  # warm
            for _ in range(rounds):
                for server, make in made.items():
                    used[kind, server].append(await one_round(make, request, requests))

    uvloop.run(timed())
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        uvloop.run(one_round(made["the shell"], GET, requests))
        profiler.disable()
        profiler.dump_stats(profile)
    out = [Row(PART, "  in process: machine load average at the start", float(load), "")]
    for kind in kinds:
        medians = {s: statistics.median(used[kind, s]) * 1e6 for s in made}
        for server, median in medians.items():
            least = min(used[kind, server]) * 1e6
            spread = ", ".join(f"{v * 1e6:.1f}" for v in used[kind, server])
            out.append(Row(PART, f"{kind}: {server}, CPU per request ({spread})", median, "µs"))
            out.append(Row(PART, f"{kind}: {server}, least of the rounds", least, "µs"))
        extra = medians["the shell"] - medians["uvicorn httptools, unguarded"]
        out.append(Row(PART, f"{kind}: the shell's own, beside uvicorn's", extra, "µs"))
    return out


# The servers over TCP: each in its own process, serving ``bare_app`` (or, ``echo``, a bare
# asyncio protocol answering the same bytes: ``benchmarks.issuer_floor.Echo``).
SERVERS: Final = ("echo", "uvicorn httptools, unguarded", "the shell")
# Requests per round in a smoke run (``--smoke``): every step runs, its figures mean nothing.
SMOKE_REQUESTS: Final = 200
# Connections the TCP rounds' requests are spread over, each sending one at a time.
CONNECTIONS: Final = 10


def serve_one(kind: str, port: int) -> None:
    """Serve ``kind`` (one of ``SERVERS``) on ``port`` until killed."""
    if kind == "the shell":
        serve(server_config(ServiceSettings(), bare_app), listen("127.0.0.1", port))
    elif kind == "echo":
        head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"%s: %s\r\n" % pair for pair in HEADERS)
        Echo.answers = {(b"GET", b"1.0"): head + b"\r\n" + ANSWER}

        async def echo() -> None:
            server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", port)
            async with server:
                await server.serve_forever()

        uvloop.run(echo())
    else:
        uvicorn.run(
            bare_app,
            host="127.0.0.1",
            port=port,
            http="httptools",
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )


def running(proc: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: proc.poll() is None


def tcp_rows(requests: int, rounds: int) -> list[Row]:
    """Server CPU per GET over TCP, each server in its own process, taking turns."""
    from benchmarks.ledger_serving import cpu_since, server_cpu  # imports the ledger: slow
    from cli.harness import free_port, wait_until_healthy

    load_avg = Path("/proc/loadavg").read_text().split()[0]
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for kind in SERVERS:
            port = free_port()
            command = [sys.executable, "-m", "benchmarks.shell_request", "--serve", kind, str(port)]
            proc = subprocess.Popen(command)
            servers[kind] = proc, port
            wait_until_healthy(f"http://127.0.0.1:{port}", alive=running(proc))
        per = max(1, requests // CONNECTIONS)
        used: dict[str, list[float]] = {kind: [] for kind in SERVERS}
        for _ in range(rounds + 1):  # the first round warms
            for kind, (proc, port) in servers.items():
                before = server_cpu(proc.pid)
                result = load("127.0.0.1", port, [[GET] * per for _ in range(CONNECTIONS)])
                assert result.statuses == {200: per * CONNECTIONS}, result.statuses
                used[kind].append(cpu_since(proc.pid, before) / (per * CONNECTIONS))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
    out = [Row(PART, "  over TCP: machine load average at the start", float(load_avg), "")]
    for kind in SERVERS:
        spread = ", ".join(f"{v * 1e6:.1f}" for v in used[kind][1:])
        median = statistics.median(used[kind][1:]) * 1e6
        metric = f"GET over TCP: {kind}, server CPU per request ({spread})"
        out.append(Row(PART, metric, median, "µs"))
    return out


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="cProfile the shell's GET round into this file")
    parser.add_argument("--tcp", action="store_true", help="also each server over TCP")
    parser.add_argument("--smoke", action="store_true", help="tiny rounds, to show it runs")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    if args.serve:
        serve_one(args.serve[0], int(args.serve[1]))
        return []
    requests, rounds = (SMOKE_REQUESTS, 1) if args.smoke else (args.requests, args.rounds)
    table = rows(requests, rounds, args.profile)
    if args.tcp or args.smoke:
        table += tcp_rows(requests, rounds)
    print(render(table))
    return table


if __name__ == "__main__":
    main()
