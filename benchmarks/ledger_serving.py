"""The ledger as it serves: start-up from its snapshot (seconds, peak and serving memory) at a
size given on the command line, then DID resolution over HTTP beside the same server's bare
route, plain (DIDs at random, and DIDs asked before) and with proofs, in alternating rounds of
one run, as ratios.

Run: ``python -m benchmarks.ledger_serving [--serving-entries 20000] [--cache DIR]
[--smoke]``. A ledger of N entries (valid DID chains, pre-signed on every core and written
through the store; ~40 minutes for 1M on 2 shared cores) is built once into ``DIR/N`` and
reused by later runs: keep DIR outside the repository (``/tmp/civicid-ledger-cache``).
Without ``--cache`` it is built in a temporary directory and removed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks import loadgen
from benchmarks.ledger import (
    FILL_BLOCK,
    VERSIONS,
    chains,
    fill_directly,
    free_port,
    open_in_process,
    resident_mb,
    serve,
    stored_size,
    submit_concurrently,
)
from benchmarks.table import Row, render
from ledger import answers_file
from ledger import snapshot as snapshots
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.setup import initialize, open_ledger

PART: Final = "ledger"
CONNECTIONS: Final = 50
DEFAULT_ENTRIES: Final = 20_000
# A ledger built for 1M holds whole DID chains: 998,001 entries. Held to the 1M goal from here.
NEAR_1M: Final = 990_000
ROUNDS: Final = 3  # bare, plain and proven requests in turn, so load changes hit all three
# How long the served ledger may take to re-hash the hashes its snapshot kept (in the
# background once it serves: ~10-20 s at 1M on shared cores): the rounds wait for it, so that
# its CPU is not counted as the requests' (it was a quarter of the server's at 1M).
REHASH_TIMEOUT: Final = 600.0


@dataclass(frozen=True)
class Sizes:
    plain: int = 10_000  # requests per round, plain resolution and the bare route alike
    proven: int = 2_500  # resolutions with proofs per round
    rounds: int = ROUNDS
    first: int = 4_000  # first answers timed in-process (a quarter of them with proofs)


SMOKE = Sizes(plain=100, proven=20, rounds=1, first=40)
SMOKE_ENTRIES: Final = 200


def build(root: Path, entries: int) -> None:
    """A ledger of about ``entries`` entries in ``root`` (a new directory), closed cleanly so
    that it holds a snapshot of its whole log."""
    genesis = initialize(root)
    if entries >= FILL_BLOCK * VERSIONS:
        fill_directly(root, genesis.governance, genesis.origin, entries)
    else:
        ledger = open_ledger(root)
        try:
            work = list(chains(genesis.governance, genesis.origin, entries // VERSIONS, VERSIONS))
            submit_concurrently(ledger, work)
        finally:
            ledger.close()
    open_ledger(root).close()  # a replay of the whole log, which writes the snapshot


def cached(cache: Path, entries: int) -> Path:
    """``cache/entries``, built the first time (a half-built one is built again)."""
    root = cache / str(entries)
    done = root / "built"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        build(root, entries)
        done.write_text(f"{stored_size(root)}\n")
    return root


def start_up_rows(root: Path) -> list[Row]:
    size = stored_size(root)
    assert (root / "ledger" / snapshots.FILE).exists()
    marks = open_in_process(root)
    assert marks["from"] == marks["size"] == size, marks  # loaded from the snapshot
    return [
        Row(
            PART,
            f"start-up from the snapshot at {size:,} entries (open to ready)",
            marks["opened"],
            "s",
            "<= 5 at 1M",
            marks["opened"] <= 5 if size >= NEAR_1M else None,
        ),
        Row(PART, f"  CPU of the opening process at {size:,}", marks["cpu"], "s"),
        Row(PART, f"  state loaded at {size:,}", marks["loaded"], "s"),
        Row(PART, f"  peak resident memory while starting at {size:,}", marks["rss"], "MiB"),
    ]


def rendered_ahead_rows(root: Path) -> list[Row]:
    """The plain answers rendered ahead beside the snapshot (``ledger/answers_file.py``):
    a ledger writes them with each snapshot; one cached before it did gets them here, from
    its snapshot's state as the ledger loads it, as a ledger writing a snapshot would (the
    time and CPU of that, and the file's size, are what writing them adds to a snapshot)."""
    path = root / "ledger" / answers_file.FILE
    ledger = open_ledger(root, readonly=True)
    try:
        size = ledger.snapshot_size
        rows = []
        if answers_file.open_answers(path, size, ledger.tree.root(size)) is None:
            started, cpu = time.monotonic(), time.process_time()
            count = answers_file.write(path, ledger.state, size, ledger.tree.root(size))
            rows = [
                Row(PART, f"answers rendered ahead at {size:,} entries", count, "answers"),
                Row(PART, "  rendering them, written and synced", time.monotonic() - started, "s"),
                Row(PART, "  rendering them, CPU", time.process_time() - cpu, "s"),
            ]
        rows.append(Row(PART, "  answers file on disk", path.stat().st_size / 2**20, "MiB"))
    finally:
        ledger.close()
    return rows


def first_answer_rows(ledger: Ledger, dids: list[str], sizes: Sizes) -> list[Row]:
    """The resolver's CPU per first answer (each DID resolved once, by a resolver with
    nothing kept), plain and with proofs, and with proofs of DIDs whose plain answer is kept,
    in this process: what a first answer costs beyond the server's own work per request,
    steadier than any rate under load."""
    rows = []
    picked = random.sample(dids, min(len(dids), sizes.first))
    for kind, with_proof, asked in (
        ("plain", False, picked),
        ("plain rendered live (no answers file)", False, picked),
        ("with proofs", True, picked[: max(1, len(picked) // 4)]),
    ):
        resolver = Resolver(ledger)
        if "live" in kind:
            resolver.ahead = None
        sent = 0
        started = time.process_time()
        for did in asked:
            answer = resolver.resolve(did, with_proof=with_proof)
            assert answer.status == 200
            sent += len(answer.body)
        cpu = (time.process_time() - started) / len(asked)
        rows.append(Row(PART, f"  a first answer {kind}, resolver CPU in-process", cpu * 1e6, "us"))
        # What each answer writes to its socket: with proofs, that write is the largest single
        # share of the server's samples.
        rows.append(Row(PART, f"  an answer {kind}, body", sent / len(asked), "bytes"))
    # With proofs, of DIDs whose plain answer is kept (the rounds ask plain before with
    # proofs): made from it, the document not read again.
    asked = picked[-max(1, len(picked) // 4) :]
    resolver = Resolver(ledger)
    for did in asked:
        resolver.resolve(did)
    started = time.process_time()
    for did in asked:
        assert resolver.resolve(did, with_proof=True).status == 200
    cpu = (time.process_time() - started) / len(asked)
    rows.append(
        Row(PART, "  a first answer with proofs, its plain one kept, in-process", cpu * 1e6, "us")
    )
    return rows


def rehashed(port: int) -> float:
    """Seconds until the server's ``/health`` says its kept hashes were re-hashed (the
    check it runs in the background after opening from a snapshot); 0 if it runs none."""
    started = time.monotonic()
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/health")
            integrity = json.loads(connection.getresponse().read()).get("integrity")
        finally:
            connection.close()
        if integrity != "checking":
            assert integrity in (None, "verified"), integrity
            return time.monotonic() - started
        assert time.monotonic() - started < REHASH_TIMEOUT, "the re-hash did not end"
        time.sleep(0.2)


def rounds(
    port: int, dids: list[str], sizes: Sizes, pid: int
) -> tuple[dict[str, loadgen.Result], dict[str, float], dict[str, float]]:
    """Bare route, plain resolution, plain resolution of DIDs asked before (``again``: what
    a kept answer costs) and resolution with proofs, in turn, ``sizes.rounds`` times; each
    kind's requests of all rounds together, the server's (``pid``) CPU seconds per request of
    each kind (steadier than rates when others share the cores), and the share of each
    kind's requests that were the first for their DID (plain and with proofs ask DIDs at
    random among all: those can only be first answers, the rest may be kept ones)."""
    results = {kind: loadgen.Result() for kind in ("bare", "plain", "again", "proven")}
    cpu = dict.fromkeys(results, 0.0)
    asked: dict[str, set[str]] = {kind: set() for kind in results}

    def paths(kind: str, count: int) -> list[str]:
        if kind == "bare":
            return ["/checkpoint-key"] * count
        if kind == "again":  # DIDs the plain requests asked, in this round or before
            earlier = sorted(asked["plain"])
            return [f"/1.0/identifiers/{random.choice(earlier)}" for _ in range(count)]
        query = "?withProof=true" if kind == "proven" else ""
        chosen = [random.choice(dids) for _ in range(count)]
        asked[kind].update(chosen)
        return [f"/1.0/identifiers/{did}{query}" for did in chosen]

    for _ in range(sizes.rounds):
        for kind in results:
            count = sizes.proven if kind == "proven" else sizes.plain
            gets = [loadgen.request("GET", path) for path in paths(kind, count)]
            before = loadgen.cpu_seconds(pid)
            result = loadgen.run(
                "127.0.0.1", port, [gets[i::CONNECTIONS] for i in range(CONNECTIONS)]
            )
            cpu[kind] += loadgen.cpu_seconds(pid) - before
            assert result.statuses == {200: count}, (kind, result.statuses)
            total = results[kind]
            total.latencies += result.latencies
            total.seconds += result.seconds
    per_request = {kind: cpu[kind] / len(results[kind].latencies) for kind in results}
    first = {kind: len(asked[kind]) / len(results[kind].latencies) for kind in results}
    return results, per_request, first


def resolution_rows(port: int, dids: list[str], size: int, sizes: Sizes, pid: int) -> list[Row]:
    """Rates, p99 and the server's CPU per request of each kind of request, and their ratios
    to the bare route (held to the targets unless a smoke run, whose figures mean nothing;
    the plain requests of DIDs asked before are shown, not judged: the goal is of plain
    requests as they come)."""
    judged = sizes != SMOKE
    got, cpu, first = rounds(port, dids, sizes, pid)
    bare, plain, again, proven = got["bare"], got["plain"], got["again"], got["proven"]
    p99 = {kind: result.percentile(99) * 1000 for kind, result in got.items()}
    plain_ratio, proven_ratio = plain.rate / bare.rate, proven.rate / bare.rate
    where = f"{CONNECTIONS} connections, {size:,} entries"
    return [
        Row(PART, f"bare route (/checkpoint-key), {where}", bare.rate, "req/s"),
        Row(PART, "  bare route p99", p99["bare"], "ms"),
        Row(PART, "  bare route, server CPU per request", cpu["bare"] * 1e6, "us"),
        Row(PART, "DID resolution, plain", plain.rate, "res/s"),
        Row(
            PART, "  plain p99", p99["plain"], "ms", "<= 30", p99["plain"] <= 30 if judged else None
        ),
        Row(PART, "  plain, server CPU per resolution", cpu["plain"] * 1e6, "us"),
        Row(PART, "  plain, first asks of their DID", first["plain"] * 100, "%"),
        Row(
            PART,
            "  plain / bare",
            plain_ratio,
            "x",
            ">= 0.9",
            plain_ratio >= 0.9 if judged else None,
        ),
        Row(PART, "DID resolution, plain, of DIDs asked before", again.rate, "res/s"),
        Row(PART, "  asked before, server CPU per resolution", cpu["again"] * 1e6, "us"),
        Row(PART, "  asked before / bare", again.rate / bare.rate, "x"),
        Row(PART, "DID resolution with proofs (history, inclusion, map)", proven.rate, "res/s"),
        Row(PART, "  with proofs p99", p99["proven"], "ms"),
        Row(PART, "  with proofs, server CPU per resolution", cpu["proven"] * 1e6, "us"),
        Row(PART, "  with proofs, first asks of their DID", first["proven"] * 100, "%"),
        Row(
            PART,
            "  with proofs / bare",
            proven_ratio,
            "x",
            ">= 0.6",
            proven_ratio >= 0.6 if judged else None,
        ),
    ]


def run(entries: int, cache: Path | None, sizes: Sizes = Sizes()) -> list[Row]:
    scratch = None if cache is not None else Path(tempfile.mkdtemp(prefix="civicid-bench-"))
    try:
        root = cached(cache or scratch or Path(), entries)
        rows = rendered_ahead_rows(root) + start_up_rows(root)
        port = free_port()
        server = serve(root, port)
        try:
            rows.append(Row(PART, "  kept hashes re-hashed, after ready", rehashed(port), "s"))
            rows.append(
                Row(PART, "  server resident memory once serving", resident_mb(server.pid), "MiB")
            )
            ledger = open_ledger(root, readonly=True)
            try:
                # Its own re-hash of the kept hashes first: a background thread of this
                # process, whose CPU (seconds at 1M) the first answers' would count.
                if ledger.integrity is not None:
                    ledger.integrity.wait()
                dids = [str(did) for did in ledger.state.dids]
                first = first_answer_rows(ledger, dids, sizes)
            finally:
                ledger.close()
            rows += resolution_rows(port, dids, stored_size(root), sizes, server.pid)
            rows += first
            rows.append(
                Row(PART, "  server resident memory after the load", resident_mb(server.pid), "MiB")
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serving-entries", type=int, default=DEFAULT_ENTRIES)
    parser.add_argument("--cache", type=Path, help="keep built ledgers here (outside the repo)")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    smoke = args.smoke
    rows = run(SMOKE_ENTRIES, None, SMOKE) if smoke else run(args.serving_entries, args.cache)
    print(render(rows))
    return rows


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
