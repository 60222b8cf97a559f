"""Issuer on PostgreSQL: issuances per second end to end over HTTP (offer, token, nonce,
credential) with the issuer's SQLite store, then with one and with two issuer processes on
one PostgreSQL database, in one run; the ratios. The ledger's rows on PostgreSQL are
``benchmarks/ledger_pg.py``.

Run: ``python -m benchmarks.postgres [--issuances 1200] [--clients 16] [--smoke]``. The
database is a throwaway cluster with fsync on (``tests/postgres.py``); each issuer is its own
process (``civicid issuer serve``); the ledger, PostgreSQL and the load generator share the
machine with them, so on two cores a second issuer process cannot add a core of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.issuer import CONFIG, PUBLIC_URL, Connection, issue_one, load, prepare
from benchmarks.table import Row, render
from civicid.jose import PrivateKey
from civicid.shell.settings import DATABASE_URL_ENV
from cli.harness import free_port, serving, wait_until_healthy
from tests.postgres import Cluster

PART = "issuer-pg"
ROOT = Path(__file__).parents[1]
ISSUANCES, CLIENTS = 1200, 16
# A smoke run: every step at a size that takes seconds (its figures mean nothing).
SMOKE_ISSUANCES, SMOKE_CLIENTS = 8, 2
WARM_UP = 3  # issuances per client before the timed window (connections, caches, JIT-free)


@contextmanager
def database_env(url: str | None) -> Iterator[None]:
    """``CIVICID_DATABASE_URL`` for what runs inside (set-up here, and the servers started):
    the way an operator points every process at the database."""
    before = os.environ.pop(DATABASE_URL_ENV, None)
    if url is not None:
        os.environ[DATABASE_URL_ENV] = url
    try:
        yield
    finally:
        os.environ.pop(DATABASE_URL_ENV, None)
        if before is not None:
            os.environ[DATABASE_URL_ENV] = before


def serve(root: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "cli", "issuer", "serve", "--data-dir", str(root)]
    proc = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT)
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
    return proc, port


def drive(ports: list[int], api_key: str, issuances: int, clients: int) -> float:
    """Issuances/s with ``clients`` connections spread over the issuers on ``ports``."""
    keys = [PrivateKey.generate() for _ in range(clients)]
    claims: Any = load("national-id.claims.json")
    tag = os.urandom(4).hex()

    async def client(n: int, count: int, phase: str) -> None:
        port = ports[n % len(ports)]
        conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
        for i in range(count):
            body = {"configuration": CONFIG, "record": f"P-{tag}-{phase}-{n}-{i}", "claims": claims}
            await issue_one(conn, api_key, json.dumps(body).encode(), [keys[n]], PUBLIC_URL)
        conn.writer.close()

    per_client = max(1, issuances // clients)

    async def main() -> float:
        await asyncio.gather(*(client(n, WARM_UP, "w") for n in range(clients)))
        started = time.perf_counter()
        await asyncio.gather(*(client(n, per_client, "t") for n in range(clients)))
        return per_client * clients / (time.perf_counter() - started)

    return asyncio.run(main())


def measure(root: Path, url: str | None, processes: int, size: tuple[int, int]) -> float:
    """A ledger of its own (one agency owns the type and the lists under PUBLIC_URL), an
    issuer in ``root`` (its store in ``url`` if given) served from ``processes`` processes,
    driven."""
    from ledger.app import create_app
    from ledger.settings import LedgerSettings
    from ledger.setup import initialize as ledger_init

    genesis = ledger_init(root)
    with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as ledger_url:
        with database_env(url):
            api_key = prepare(root, ledger_url, genesis.vkey, genesis.governance, genesis.origin)
            servers = [serve(root) for _ in range(processes)]
        try:
            return drive([port for _, port in servers], api_key, *size)
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(timeout=30)


def run(issuances: int, clients: int) -> list[Row]:
    base = Path(tempfile.mkdtemp(prefix="civicid-bench-issuer-pg-"))
    cluster = Cluster(durable=True)
    rows: list[Row] = []
    try:
        cluster.start()
        size = (issuances, clients)
        load_avg = float(Path("/proc/loadavg").read_text().split()[0])
        sqlite = measure(base / "sqlite", None, 1, size)
        one = measure(base / "pg1", cluster.url(cluster.create_database()), 1, size)
        two = measure(base / "pg2", cluster.url(cluster.create_database()), 2, size)
        what = f"issuances/s over HTTP ({clients} clients; offer, token, nonce, credential)"
        rows += [
            Row(PART, f"{what}, SQLite, 1 issuer process", sqlite, "/s"),
            Row(PART, f"{what}, PostgreSQL, 1 issuer process", one, "/s"),
            Row(PART, f"{what}, PostgreSQL, 2 issuer processes, one database", two, "/s"),
            Row(PART, "PostgreSQL 1 process / SQLite", one / sqlite, "x"),
            Row(PART, "PostgreSQL 2 processes / 1 process (2 cores shared by all)", two / one, "x"),
            Row(PART, "  (machine load average at the start)", load_avg, ""),
        ]
    finally:
        cluster.remove()
        shutil.rmtree(base, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issuances", type=int, default=ISSUANCES)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    if args.smoke:
        return run(SMOKE_ISSUANCES, SMOKE_CLIENTS)
    return run(args.issuances, args.clients)


if __name__ == "__main__":
    print(render(main(sys.argv[1:])))
