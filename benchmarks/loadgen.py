"""A minimal HTTP/1.1 keep-alive load generator on asyncio.

A general client (httpx) spends more CPU per request than the server under test does, and
on a 2-core machine that would measure the client. This sends pre-built requests over
persistent connections and parses only the status line and Content-Length.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def _worker(host: str, port: int, requests: list[bytes], result: Result) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status, _ = await read_answer(reader)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """An answer's status and body (its length from Content-Length; no other header read)."""
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return int(status_line.split()[1]), body


def request(
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str = "",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return head.encode() + b"\r\n" + body


class Connection:
    """One keep-alive connection a client's flow runs over, a call at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        self.writer.write(request(method, path, body, content_type, headers))
        return await read_answer(self.reader)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(host: str, port: int | list[int], per_connection: list[list[bytes]]) -> Result:
    """Send each list of requests over its own connection, all connections at once; with
    several ports, the connections are spread over them in turn (several server processes)."""
    result = Result()
    ports = port if isinstance(port, list) else [port]

    async def main() -> None:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _worker(host, ports[i % len(ports)], reqs, result)
                for i, reqs in enumerate(per_connection)
            )
        )
        result.seconds = time.perf_counter() - started

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    return result
