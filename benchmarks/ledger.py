"""Ledger benchmarks: durable append rate (in-process and HTTP), append cost vs log size,
inclusion and state map proofs, start-up time and peak memory (by replay and from the state
snapshot, each in a fresh process), DID resolution over HTTP beside a bare route of the same
server, store bytes per entry, audit time.

Run: ``python -m benchmarks.ledger [--entries 100000] [--large] [--smoke]`` (``--large``, or
``CIVICID_BENCH_LARGE=1``: 1M entries; ``--smoke``: every step at a tiny size, to show it
runs). Up to ``DIRECT_FILL_UP_TO`` entries the log is filled through the rules by 64
submitting threads; a larger one is written straight through the store from transactions
pre-signed in parallel (valid, so replay and audit accept them), as appending 1M through the
rules would take most of an hour.
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
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import loadgen
from benchmarks.table import Row, render
from civicid import statemap
from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.identity import Identity
from civicid.merkle import leaf_hash, verify_inclusion
from civicid.statemap import map_key, map_value, root_in, verify_map
from cli.harness import wait_until_healthy
from ledger import snapshot as snapshots
from ledger.audit import audit
from ledger.log import Ledger
from ledger.setup import initialize, open_ledger
from ledger.store import FileLogStore

PART = "ledger"
CLIENTS = 64
LARGE = 1_000_000
# Above this many entries the log is written through the store from pre-signed transactions
# (module docstring), and the audit row is left out (it re-verifies every signature: ~70 s
# per 100k entries).
DIRECT_FILL_UP_TO = 200_000
# DIDs each pre-signing task makes: a block of entries written to the store at once.
FILL_BLOCK = 500
VERSIONS = 4  # entries per DID: its create and three key rotations


@dataclass(frozen=True)
class Sizes:
    """How much work each step does: the measured run, or a smoke run that only shows every
    step still works (its figures mean nothing)."""

    warm: int = 1000  # entries submitted before the first timed window
    window: int = 3000  # entries in each timed append window (in-process and over HTTP)
    proofs: int = 5000  # inclusion and state map proofs generated and verified
    resolutions: int = 30_000  # DID resolutions (and bare requests) over HTTP
    proven: int = 5_000  # DID resolutions with proofs over HTTP


SMOKE = Sizes(warm=40, window=120, proofs=20, resolutions=200, proven=20)
SMOKE_ENTRIES = 400


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


def _signed_block(job: tuple[dict[str, object], str, int]) -> list[bytes]:
    """A pre-signing worker: ``dids`` whole chains, as log leaves."""
    governance, origin, dids = job
    gov = Identity.from_json(governance)  # type: ignore[arg-type]
    return [tx.encode() for chain in chains(gov, origin, dids, VERSIONS) for tx in chain]


def fill_directly(root: Path, genesis_identity: Identity, origin: str, entries: int) -> float:
    """Append valid DID chains straight to the store until it holds ``entries``, signing
    them in one process per core; returns the seconds it took."""
    started = time.perf_counter()
    store = FileLogStore(root / "ledger")
    try:
        blocks = (entries - store.size) // (FILL_BLOCK * VERSIONS)
        jobs = [(genesis_identity.to_json(), origin, FILL_BLOCK)] * blocks
        with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
            for leaves in pool.imap(_signed_block, jobs):
                store.append(leaves, [leaf_hash(leaf) for leaf in leaves])
        store.sync()
    finally:
        store.close()
    return time.perf_counter() - started


def stored_size(root: Path) -> int:
    store = FileLogStore(root / "ledger", readonly=True)
    try:
        return store.size
    finally:
        store.close()


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


# Opens the ledger at argv[1] in a fresh process (read-write, as `serve` does): prints the
# seconds until the state was loaded and replayed, the peak resident memory by then, the
# seconds until open returned (including writing a snapshot after a long replay) and the CPU
# seconds it took, the entries the snapshot it loaded covered (0: none) and the log's size.
OPEN_AND_MEASURE = """
import json, sys, time
from pathlib import Path
from ledger.setup import open_ledger
from ledger.startup import REPLAYED, SNAPSHOT_LOADED
marks = {"from": 0}
def mib(field):  # VmHWM is this process's own peak (ru_maxrss carries the parent's)
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024
def progress(step):
    if step.step == SNAPSHOT_LOADED:
        marks["from"] = step.done
    if step.step == REPLAYED and step.done == step.total:
        marks["loaded"] = time.perf_counter() - started
        marks["rss"] = mib("VmHWM")
        marks["anon"] = mib("RssAnon")
started, cpu = time.perf_counter(), time.process_time()
ledger = open_ledger(Path(sys.argv[1]), progress=progress)
marks["opened"] = time.perf_counter() - started
marks["cpu"] = time.process_time() - cpu  # this process's own (a second walker's is not)
marks["size"] = ledger.size
ledger.close()
print(json.dumps(marks))
"""


def open_in_process(root: Path) -> dict[str, float]:
    """Open the ledger at ``root`` in a fresh process: OPEN_AND_MEASURE's figures."""
    out = subprocess.run(
        [sys.executable, "-c", OPEN_AND_MEASURE, str(root)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    marks: dict[str, float] = json.loads(out)
    return marks


def start_up_rows(root: Path, size: int) -> list[Row]:
    """Start-up by a replay of the whole log (no snapshot), then from the snapshot that
    replay wrote; each in a fresh process, with its peak resident memory."""
    (root / "ledger" / snapshots.FILE).unlink(missing_ok=True)
    replayed = open_in_process(root)
    assert replayed["from"] == 0, replayed
    loaded = open_in_process(root)
    assert loaded["from"] == loaded["size"] == size, loaded
    ratio = replayed["loaded"] / loaded["loaded"]
    return [
        Row(PART, f"start-up by replay (no snapshot) at {size:,} entries", replayed["loaded"], "s"),
        Row(PART, f"  peak resident memory, replay at {size:,}", replayed["rss"], "MiB"),
        Row(PART, "  anonymous memory once replayed", replayed["anon"], "MiB"),
        Row(PART, f"start-up from the snapshot at {size:,} entries", loaded["loaded"], "s"),
        Row(PART, f"  peak resident memory, snapshot at {size:,}", loaded["rss"], "MiB"),
        Row(PART, "  anonymous memory once loaded", loaded["anon"], "MiB"),
        Row(PART, "start-up: replay time / snapshot time", ratio, "x"),
        Row(
            PART,
            f"  snapshot written after the replay at {size:,}",
            replayed["opened"] - replayed["loaded"],
            "s",
        ),
    ]


def free_port() -> int:
    from cli.harness import free_port as pick

    return pick()


def run(entries: int, sizes: Sizes = Sizes()) -> list[Row]:
    rows: list[Row] = []
    root = Path(tempfile.mkdtemp(prefix="civicid-bench-"))
    try:
        genesis = initialize(root)
        gov, origin = genesis.governance, genesis.origin
        ledger = open_ledger(root)

        # 1. Durable append rate, 64 threads, in-process, on a fresh log (~4k entries).
        warm = list(chains(gov, origin, sizes.warm // VERSIONS, VERSIONS))
        submit_concurrently(ledger, warm)
        window = list(chains(gov, origin, sizes.window // VERSIONS, VERSIONS))
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

        # 2. Fill to about `entries`: through the rules, or straight through the store.
        before_fill = ledger.size
        if entries <= DIRECT_FILL_UP_TO:
            todo = entries - ledger.size - count
            batch = max(1, todo // VERSIONS)
            started = time.perf_counter()
            while batch > 0:
                step = min(batch, 5000)
                submit_concurrently(ledger, list(chains(gov, origin, step, VERSIONS)))
                batch -= step
            fill_seconds = time.perf_counter() - started
            filled = ledger.size - before_fill
            ledger.close()
            how = f"sign, then submit with {CLIENTS} threads"
        else:
            ledger.close()
            fill_seconds = fill_directly(root, gov, origin, entries - count)
            filled = stored_size(root) - before_fill
            how = f"pre-sign on {os.cpu_count()} cores, write through the store"
        rows.append(Row(PART, f"fill rate ({how})", filled / fill_seconds, "tx/s"))

        # 3. Start-up, each in a fresh process: by replay of the whole log (which writes a
        # snapshot), then from that snapshot.
        size = stored_size(root)
        rows += start_up_rows(root, size)

        # 4. The same append window at this size (opened from the snapshot): the cost of an
        # append must not grow with the log.
        ledger = open_ledger(root)
        window = list(chains(gov, origin, sizes.window // VERSIONS, VERSIONS))
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
            Row(
                PART,
                f"append rate at {ledger.size:,} entries, in-process",
                rate_large,
                "tx/s",
                ">= 1000",
                rate_large >= 1000,
            )
        )
        rows += proof_rows(ledger, genesis.vkey, sizes.proofs)

        # 5. Store bytes per DID transaction.
        size = ledger.size
        per_tx = ledger.store.bytes_on_disk() / size  # type: ignore[attr-defined]
        rows.append(Row(PART, "store bytes per DID transaction", per_tx, "B"))
        dids = list(ledger.state.dids)
        ledger.close()

        # 6. Full audit (replay + verify every signature), per 100k entries.
        if size <= DIRECT_FILL_UP_TO:
            report = audit(root / "ledger")
            rows.append(
                Row(
                    PART,
                    "audit (replay + verify all) per 100k entries",
                    report.seconds * 100_000 / size,
                    "s",
                )
            )

        # 7. Over HTTP: a server process; the load generator in this one.
        port = free_port()
        server = serve(root, port)
        try:
            rows += http_rows(port, gov, origin, dids, size, server.pid, sizes)
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def proof_rows(ledger: Ledger, vkey: str, count: int) -> list[Row]:
    """Inclusion proof and state map proof, each generated and verified, at this size."""
    size, root_hash = ledger.size, ledger.tree.root()
    picks = [random.randrange(size) for _ in range(count)]
    digests = [ledger.tree.leaf_hash_at(i) for i in picks]
    started = time.perf_counter()
    for index, digest in zip(picks, digests, strict=True):
        verify_inclusion(digest, index, size, ledger.inclusion_proof(index, size), root_hash)
    proof_ms = (time.perf_counter() - started) / len(picks) * 1000
    # A DID's head, as resolutions prove it, against the root the latest checkpoint signs.
    view = ledger.view
    map_root = root_in(open_checkpoint(view.checkpoint, NoteVerifier(vkey)).extensions)
    names = random.choices(list(ledger.state.dids), k=count)
    started = time.perf_counter()
    for did in names:
        key = map_key(statemap.DID, did)
        head = ledger.state.dids[did].versions[-1]
        verify_map(map_root, key, map_value(head.leaf_hash, head.seq), view.statemap.prove(key))
    map_ms = (time.perf_counter() - started) / len(names) * 1000
    return [
        Row(
            PART,
            f"inclusion proof generate + verify at {size:,}",
            proof_ms,
            "ms",
            "<= 1",
            proof_ms <= 1,
        ),
        Row(
            PART,
            f"state map proof generate + verify at {size:,} ({view.statemap.size:,} names)",
            map_ms,
            "ms",
            "<= 1",
            map_ms <= 1,
        ),
    ]


def http_rows(
    port: int, gov: Identity, origin: str, dids: list[str], size: int, pid: int, sizes: Sizes
) -> list[Row]:
    rows = []
    work = list(chains(gov, origin, sizes.window // VERSIONS, VERSIONS))
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
        for _ in range(sizes.resolutions)
    ]
    result = loadgen.run("127.0.0.1", port, [gets[i::50] for i in range(50)])
    ok = result.statuses.get(200, 0) == len(gets)
    p99 = result.percentile(99) * 1000
    # The same load on the server's barest route, in the same run: how near the framework's
    # own limit resolution runs (1.0 = as fast as answering almost nothing).
    bare = [loadgen.request("GET", "/checkpoint-key") for _ in range(sizes.resolutions)]
    base = loadgen.run("127.0.0.1", port, [bare[i::50] for i in range(50)])
    rows += [
        Row(
            PART,
            f"DID resolution over HTTP, 50 clients, {size:,} entries",
            result.rate,
            "res/s",
            ">= 2000",
            ok and result.rate >= 2000,
        ),
        Row(PART, "DID resolution p99 latency", p99, "ms", "<= 50", p99 <= 50),
        Row(PART, "bare route (/checkpoint-key) over HTTP, 50 clients", base.rate, "req/s"),
        Row(PART, "DID resolution rate / bare route rate", result.rate / base.rate, "x"),
    ]
    proofs = [
        loadgen.request("GET", f"/1.0/identifiers/{random.choice(dids)}?withProof=true")
        for _ in range(sizes.proven)
    ]
    proven = loadgen.run("127.0.0.1", port, [proofs[i::50] for i in range(50)])
    rows.append(
        Row(
            PART,
            "DID resolution with proofs (history, inclusion, state map) over HTTP",
            proven.rate,
            "res/s",
            "all 200",
            proven.statuses.get(200, 0) == len(proofs),
        )
    )
    rows.append(Row(PART, f"ledger server resident memory at {size:,}", resident_mb(pid), "MiB"))
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--large", action="store_true", help=f"{LARGE:,} entries")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    large = args.large or os.environ.get("CIVICID_BENCH_LARGE") == "1"
    rows = run(SMOKE_ENTRIES, SMOKE) if args.smoke else run(LARGE if large else args.entries)
    print(render(rows))
    return rows


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
