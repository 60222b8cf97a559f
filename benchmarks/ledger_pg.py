"""The ledger on PostgreSQL beside the file store: durable append rate (64 threads,
in-process, the same transactions), reader start-up time and memory at the log's size (a
fresh process, from the snapshot the sequencer keeps), and DID resolutions/s served by 1, 2
and 4 reader processes over HTTP (the load generator runs here too: on a 2-core machine the
processes share those cores with it and with PostgreSQL, so the scaling says what one
machine allows, not what more machines would).

Run: ``python -m benchmarks.ledger_pg [--entries 100000] [--large] [--smoke]``. PostgreSQL
runs in a throwaway cluster with fsync on (``tests/postgres.py``); the log is filled straight
through the store from transactions pre-signed on every core (as ``benchmarks/ledger.py``
does above its direct-fill size), then the sequencer opens it once (a replay that writes the
snapshot readers start from).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import loadgen
from benchmarks.ledger import (
    CLIENTS,
    FILL_BLOCK,
    LARGE,
    VERSIONS,
    _signed_block,
    chains,
    submit_concurrently,
)
from benchmarks.table import Row, render
from civicid.identity import Identity
from civicid.merkle import leaf_hash
from cli.harness import free_port, wait_until_healthy
from ledger.log import Ledger
from ledger.pg_store import PgLogStore
from ledger.setup import initialize, open_ledger
from tests.postgres import Cluster

PART = "ledger (PostgreSQL)"
READERS = (1, 2, 4)
# Connections the load generator keeps open, spread over the reader processes.
CONNECTIONS = 48


def append_rate(ledger: Ledger, gov: Identity, origin: str, warm: int, window: int) -> float:
    submit_concurrently(ledger, list(chains(gov, origin, warm // VERSIONS, VERSIONS)))
    work = list(chains(gov, origin, window // VERSIONS, VERSIONS))
    return sum(map(len, work)) / submit_concurrently(ledger, work)


def fill(url: str, gov: Identity, origin: str, entries: int) -> float:
    """Append valid DID chains straight to the database until about ``entries`` more are
    there, signed in one process per core; the seconds it took."""
    started = time.perf_counter()
    store = PgLogStore(url)
    try:
        blocks = max(1, -(-entries // (FILL_BLOCK * VERSIONS)))  # at least one, rounded up
        jobs = [(gov.to_json(), origin, FILL_BLOCK)] * blocks
        with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
            for leaves in pool.imap(_signed_block, jobs):
                store.append(leaves, [leaf_hash(leaf) for leaf in leaves])
                store.sync()
    finally:
        store.close()
    return time.perf_counter() - started


# Opens a reader of the database at argv[1] in a fresh process: prints the seconds until it
# is ready to serve, its peak and anonymous resident memory, the entries its snapshot covered.
OPEN_READER = """
import json, sys, time
from ledger.sequencer import Reader
def mib(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024
started = time.perf_counter()
reader = Reader(sys.argv[1])
marks = {"seconds": time.perf_counter() - started, "rss": mib("VmHWM"), "anon": mib("RssAnon"),
         "snapshot": reader.snapshot_size, "size": reader.size}
reader.close()
print(json.dumps(marks))
"""


def reader_start_up(url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", OPEN_READER, url], check=True, capture_output=True, text=True
    ).stdout
    marks: dict[str, float] = json.loads(out)
    return marks


def serve_reader(root: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "cli", "ledger", "serve", "--data-dir", str(root)),
            *("--port", str(port), "--database-url", url, "--reader"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None, timeout=600)
    return proc


def resolution_rows(root: Path, url: str, dids: list[str], count: int, size: int) -> list[Row]:
    ports = [free_port() for _ in range(max(READERS))]
    procs = [serve_reader(root / f"reader-{i}", url, port) for i, port in enumerate(ports)]
    rows, rates = [], {}
    try:
        # Every reader warmed with each DID once: the rows compare warm processes.
        warm = [loadgen.request("GET", f"/1.0/identifiers/{did}") for did in dids]
        for port in ports:
            loadgen.run("127.0.0.1", port, [warm[i::8] for i in range(8)])
        for readers in READERS:
            gets = [
                loadgen.request("GET", f"/1.0/identifiers/{random.choice(dids)}")
                for _ in range(count)
            ]
            per_conn = [gets[i::CONNECTIONS] for i in range(CONNECTIONS)]
            result = loadgen.run("127.0.0.1", ports[:readers], per_conn)
            rates[readers] = result.rate
            rows.append(
                Row(
                    PART,
                    f"DID resolution over HTTP, {readers} reader process(es), {size:,} entries",
                    result.rate,
                    "res/s",
                    "all 200",
                    result.statuses.get(200, 0) == count,
                )
            )
        for readers in READERS[1:]:
            rows.append(
                Row(
                    PART,
                    f"  {readers} readers / 1 reader ({os.cpu_count()} cores, shared)",
                    rates[readers] / rates[1],
                    "x",
                )
            )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
    return rows


def run(entries: int, *, warm: int, window: int, resolutions: int) -> list[Row]:
    rows: list[Row] = []
    base = Path(tempfile.mkdtemp(prefix="civicid-bench-pg-"))
    cluster = Cluster(durable=True)
    try:
        cluster.start()
        url = cluster.url(cluster.create_database())

        # 1. Durable append rate: the file store, then PostgreSQL, the same load.
        rates = {}
        # PostgreSQL last: its genesis (kept below) is the log filled next.
        for name, database in (("file store", None), ("PostgreSQL", url)):
            root = base / name.split()[0]
            genesis = initialize(root, database_url=database)
            ledger = open_ledger(root, database_url=database)
            try:
                rates[name] = append_rate(ledger, genesis.governance, genesis.origin, warm, window)
            finally:
                ledger.close()
            rows.append(
                Row(
                    PART, f"append rate, {name}, {CLIENTS} clients, in-process", rates[name], "tx/s"
                )
            )
        rows.append(
            Row(
                PART,
                "append rate: PostgreSQL / file store",
                rates["PostgreSQL"] / rates["file store"],
                "x",
            )
        )

        # 2. Fill, then the sequencer's first open: a replay that writes the snapshot.
        root = base / "PostgreSQL"
        store = PgLogStore(url, readonly=True)
        held = store.size
        store.close()
        seconds = fill(url, genesis.governance, genesis.origin, entries - held)
        started = time.perf_counter()
        ledger = open_ledger(root, database_url=url)
        replay = time.perf_counter() - started
        size = ledger.size
        dids = [
            str(d)
            for d in random.sample(list(ledger.state.dids), min(1000, len(ledger.state.dids)))
        ]
        ledger.close()
        rows.append(
            Row(PART, "fill rate (pre-signed, through the store)", (size - held) / seconds, "tx/s")
        )
        rows.append(Row(PART, f"sequencer start-up by replay at {size:,} entries", replay, "s"))

        # 3. A reader's start-up, in a fresh process, from the snapshot.
        marks = reader_start_up(url)
        assert marks["size"] == size and marks["snapshot"] == size, marks
        rows += [
            Row(
                PART,
                f"reader start-up at {size:,} entries (snapshot)",
                marks["seconds"],
                "s",
                "<= 10",
                marks["seconds"] <= 10,
            ),
            Row(PART, f"  reader peak resident memory at {size:,}", marks["rss"], "MiB"),
            Row(PART, "  reader anonymous memory once open", marks["anon"], "MiB"),
        ]

        # 4. DID resolutions with 1, 2 and 4 reader processes.
        rows += resolution_rows(base, url, dids, resolutions, size)
    finally:
        cluster.remove()
        shutil.rmtree(base, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--large", action="store_true", help=f"{LARGE:,} entries")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    large = args.large or os.environ.get("CIVICID_BENCH_LARGE") == "1"
    if args.smoke:
        return run(FILL_BLOCK * VERSIONS, warm=40, window=120, resolutions=200)
    return run(LARGE if large else args.entries, warm=1000, window=3000, resolutions=20_000)


if __name__ == "__main__":
    print(render(main(sys.argv[1:])))
