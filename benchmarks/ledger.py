"""Ledger benchmarks: durable append rate (in-process and HTTP), append cost vs log size,
proofs, DID resolution over HTTP, store bytes per entry, replay and audit time.

Run: ``python -m benchmarks.ledger [--entries 100000] [--large]`` (``--large``: 1M entries).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks import loadgen
from benchmarks.table import Row, render
from civicid.identity import Identity
from civicid.merkle import leaf_hash, verify_inclusion
from cli.harness import wait_until_healthy
from ledger.audit import audit
from ledger.log import Ledger
from ledger.setup import initialize, open_ledger

PART = "ledger"
CLIENTS = 64


def chains(
    genesis_identity: Identity, origin: str, dids: int, versions: int
) -> Iterator[list[str]]:
    """For each new DID: its create, then ``versions - 1`` key rotations, pre-signed."""
    for _ in range(dids):
        who = Identity.create()
        endorsement = genesis_identity.endorse(who.did, "agency", ledger=origin)
        create = who.create_tx(role="agency", endorsement=endorsement, ledger=origin)
        chain, head = [create], f"1-{leaf_hash(create.encode()).hex()}"
        for number in range(2, versions + 1):
            who, update = who.rotate(head, ledger=origin)
            chain.append(update)
            head = f"{number}-{leaf_hash(update.encode()).hex()}"
        yield chain


def submit_concurrently(ledger: Ledger, work: list[list[str]], clients: int = CLIENTS) -> float:
    """``clients`` threads, each submitting whole chains in order; returns elapsed seconds."""
    queues = [work[i::clients] for i in range(clients)]
    errors: list[BaseException] = []

    def worker(mine: list[list[str]]) -> None:
        try:
            for chain in mine:
                for tx in chain:
                    ledger.submit(tx)
        except BaseException as exc:  # surfaced below: a benchmark must not hide failures
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(q,)) for q in queues]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def serve(root: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "ledger",
            "serve",
            "--data-dir",
            str(root),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
    )
    # Opening replays the log: allow a large one its time to start.
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None, timeout=600)
    return proc


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def free_port() -> int:
    from cli.harness import free_port as pick

    return pick()


def run(entries: int) -> list[Row]:
    rows: list[Row] = []
    root = Path(tempfile.mkdtemp(prefix="civicid-bench-"))
    try:
        genesis = initialize(root)
        gov, origin = genesis.governance, genesis.origin
        ledger = open_ledger(root)
        versions = 4

        # 1. Durable append rate, 64 threads, in-process, on a fresh log (~1k entries).
        warm = list(chains(gov, origin, 1000 // versions, versions))
        submit_concurrently(ledger, warm)
        window = list(chains(gov, origin, 3000 // versions, versions))
        count = sum(map(len, window))
        seconds_small = submit_concurrently(ledger, window)
        rate_small = count / seconds_small
        rows.append(
            Row(
                PART,
                f"append rate, fsync on, {CLIENTS} clients, in-process",
                rate_small,
                "tx/s",
                ">= 1000",
                rate_small >= 1000,
            )
        )

        # 2. Fill to `entries`, then the same window again: append cost must not grow.
        before_fill = ledger.size
        todo = entries - ledger.size - count
        batch = max(1, todo // versions)
        started = time.perf_counter()
        while batch > 0:
            step = min(batch, 5000)
            submit_concurrently(ledger, list(chains(gov, origin, step, versions)))
            batch -= step
        fill_seconds = time.perf_counter() - started
        filled = ledger.size - before_fill
        window = list(chains(gov, origin, 3000 // versions, versions))
        seconds_large = submit_concurrently(ledger, window)
        rate_large = count / seconds_large
        ratio = seconds_large / seconds_small
        rows.append(
            Row(
                PART,
                f"append cost at {ledger.size:,} vs ~4k entries",
                ratio,
                "x",
                "<= 1.3",
                ratio <= 1.3,
            )
        )
        rows.append(
            Row(PART, f"append rate at {ledger.size:,} entries, in-process", rate_large, "tx/s")
        )
        rows.append(
            Row(
                PART, "fill rate (sign, then submit with 64 threads)", filled / fill_seconds, "tx/s"
            )
        )

        # 3. Inclusion proof generate + verify at this size.
        size, root_hash = ledger.size, ledger.tree.root()
        picks = [random.randrange(size) for _ in range(5000)]
        digests = [ledger.tree.leaf_hash_at(i) for i in picks]
        started = time.perf_counter()
        for index, digest in zip(picks, digests, strict=True):
            verify_inclusion(digest, index, size, ledger.inclusion_proof(index, size), root_hash)
        proof_ms = (time.perf_counter() - started) / len(picks) * 1000
        rows.append(
            Row(
                PART,
                f"inclusion proof generate + verify at {size:,}",
                proof_ms,
                "ms",
                "<= 1",
                proof_ms <= 1,
            )
        )

        # 4. Store bytes per DID transaction.
        per_tx = ledger.store.bytes_on_disk() / size  # type: ignore[attr-defined]
        rows.append(Row(PART, "store bytes per DID transaction", per_tx, "B"))
        dids = list(ledger.state.dids)
        ledger.close()

        # 5. Replay: open (trusting own fsynced entries) and full audit, per 100k entries.
        started = time.perf_counter()
        open_ledger(root, readonly=True).close()
        rows.append(
            Row(
                PART,
                "open (replay state) per 100k entries",
                (time.perf_counter() - started) * 100_000 / size,
                "s",
            )
        )
        report = audit(root / "ledger")
        rows.append(
            Row(
                PART,
                "audit (replay + verify all) per 100k entries",
                report.seconds * 100_000 / size,
                "s",
            )
        )

        # 6. Over HTTP: a server process; the load generator in this one.
        port = free_port()
        server = serve(root, port)
        try:
            work = list(chains(gov, origin, 3000 // versions, versions))
            per_conn: list[list[bytes]] = [[] for _ in range(CLIENTS)]
            for i, chain in enumerate(work):
                per_conn[i % CLIENTS] += [
                    loadgen.request("POST", "/transactions", tx.encode(), "application/jose")
                    for tx in chain
                ]
            result = loadgen.run("127.0.0.1", port, per_conn)
            ok = result.statuses.get(201, 0) == sum(map(len, work))
            rows.append(
                Row(
                    PART,
                    f"append rate over HTTP, {CLIENTS} clients, 1 tx/request",
                    result.rate,
                    "tx/s",
                    ">= 500",
                    ok and result.rate >= 500,
                )
            )

            gets = [
                loadgen.request("GET", f"/1.0/identifiers/{random.choice(dids)}")
                for _ in range(30_000)
            ]
            result = loadgen.run("127.0.0.1", port, [gets[i::50] for i in range(50)])
            ok = result.statuses.get(200, 0) == len(gets)
            p99 = result.percentile(99) * 1000
            rows.append(
                Row(
                    PART,
                    f"DID resolution over HTTP, 50 clients, {size:,} entries",
                    result.rate,
                    "res/s",
                    ">= 2000",
                    ok and result.rate >= 2000,
                )
            )
            rows.append(Row(PART, "DID resolution p99 latency", p99, "ms", "<= 50", p99 <= 50))
            rows.append(
                Row(
                    PART,
                    f"ledger server resident memory at {size:,} entries",
                    resident_mb(server.pid),
                    "MiB",
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--large", action="store_true", help="1,000,000 entries")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    rows = run(1_000_000 if args.large else args.entries)
    print(render(rows))
    return rows


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
