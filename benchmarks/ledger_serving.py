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
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from math import nan
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
from ledger.inclusion import BLOCK_HEIGHT
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.setup import initialize, open_ledger

PART: Final = "ledger"
CONNECTIONS: Final = 50
DEFAULT_ENTRIES: Final = 20_000
# A ledger built for 1M holds whole DID chains: 998,001 entries. Held to the 1M goal from here.
NEAR_1M: Final = 990_000
# Rounds of every kind in turn, short, so that each kind's requests run within seconds of
# the bare route's: the median of ten is one round's figure even when another process took
# the cores for a few of them.
ROUNDS: Final = 10
# How long the served ledger may take to re-hash the hashes its snapshot kept (in the
# background once it serves: ~10-20 s at 1M on shared cores): the rounds wait for it, so that
# its CPU is not counted as the requests' (it was a quarter of the server's at 1M).
REHASH_TIMEOUT: Final = 600.0


@dataclass(frozen=True)
class Sizes:
    plain: int = 3_000  # requests per round, plain resolution and the bare route alike
    proven: int = 1_000  # resolutions with proofs per round
    rounds: int = ROUNDS
    first: int = 4_000  # first answers timed in-process (a quarter of them with proofs)


SMOKE = Sizes(plain=100, proven=20, rounds=2, first=40)
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
    """The plain answers and proof parts rendered ahead beside the snapshot
    (``ledger/answers_file.py``): a ledger writes them with each snapshot; one cached before
    it did gets them here, from its snapshot's state as the ledger loads it, as a ledger
    writing a snapshot would (the time and CPU of that, and the files' sizes, are what
    writing them adds to a snapshot)."""
    path = root / "ledger" / answers_file.FILE
    parts_path = root / "ledger" / answers_file.PROOF_PARTS_FILE
    ledger = open_ledger(root, readonly=True)
    try:
        size = ledger.snapshot_size
        tree_root = ledger.tree.root(size)
        rows = []
        if answers_file.open_answers(path, size, tree_root) is None:
            started, cpu = time.monotonic(), time.process_time()
            count = answers_file.write(path, ledger.state, size, tree_root)
            rows = [
                Row(PART, f"answers rendered ahead at {size:,} entries", count, "answers"),
                Row(PART, "  rendering them, written and synced", time.monotonic() - started, "s"),
                Row(PART, "  rendering them, CPU", time.process_time() - cpu, "s"),
            ]
        rows.append(Row(PART, "  answers file on disk", path.stat().st_size / 2**20, "MiB"))
        magic = answers_file.proof_parts_magic(BLOCK_HEIGHT)
        if answers_file.open_answers(parts_path, size, tree_root, magic, held_only=True) is None:
            started, cpu = time.monotonic(), time.process_time()
            count = answers_file.write_proof_parts(
                parts_path, ledger.state, size, tree_root, ledger.tree.subtree_path
            )
            rows += [
                Row(PART, f"proof parts rendered ahead at {size:,} entries", count, "DIDs"),
                Row(PART, "  rendering them, written and synced", time.monotonic() - started, "s"),
                Row(PART, "  rendering them, CPU", time.process_time() - cpu, "s"),
            ]
        if parts_path.exists():
            on_disk = parts_path.stat().st_size / 2**20
            rows.append(Row(PART, "  proof parts file on disk (held)", on_disk, "MiB"))
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


def server_cpu(pid: int) -> dict[str, int]:
    """CPU nanoseconds each thread of process ``pid`` has run so far (each thread's
    ``/proc/PID/task/TID/schedstat``): ``/proc/PID/stat`` counts 10 ms ticks, a tenth of a
    round's CPU at the smoke size and ~1% at the full one."""
    run: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            run[task.name] = int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that just ended
            continue
    return run


def cpu_since(pid: int, before: dict[str, int]) -> float:
    """CPU seconds the threads of ``pid`` ran since ``before`` (``server_cpu``'s reading):
    per thread, so that a thread ending between the two readings takes out only what it ran
    since, never its whole time (a summed reading fell below the one before it)."""
    now = server_cpu(pid)
    return sum(ran - before.get(tid, 0) for tid, ran in now.items()) / 1e9


@dataclass
class Kind:
    """One kind of request over every round: each round's result and the server's CPU
    seconds per request in it."""

    rounds: list[loadgen.Result] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def p99(self) -> float:
        """Of all the kind's requests together, in ms."""
        return loadgen.Result([x for r in self.rounds for x in r.latencies]).percentile(99) * 1e3

    def rate(self) -> float:
        return statistics.median(r.rate for r in self.rounds)

    def cpu_us(self) -> float:
        return statistics.median(self.cpu) * 1e6

    def count(self) -> int:
        return sum(len(r.latencies) for r in self.rounds)


# The kinds in the order of a round's first turn; each later round starts one group later
# (a kind of DIDs asked before follows the kind that asked them), so no kind always runs
# first or last in a round while the machine's load moves.
GROUPS: Final = (("bare",), ("plain", "again"), ("proven", "proven_again"))
# What each kind of DIDs asked before asks again.
ASKED_BY: Final = {"again": "plain", "proven_again": "proven"}


def rounds(
    port: int, dids: list[str], sizes: Sizes, pid: int
) -> tuple[dict[str, Kind], dict[str, float]]:
    """Bare route, plain resolution, plain resolution of DIDs asked before (``again``: what
    a kept answer costs), resolution with proofs and with proofs of DIDs asked so before
    (``proven_again``), interleaved: ``sizes.rounds`` rounds,
    each asking every kind in turn within the same seconds, so that the load of whatever
    else runs on the machine weighs on all kinds alike. Each kind's rounds with the server's
    (``pid``) CPU per request in each, and the share of each kind's requests that were the
    first for their DID (plain and with proofs ask DIDs at random among all: those can only
    be first answers, the rest may be kept ones)."""
    kinds = {kind: Kind() for group in GROUPS for kind in group}
    asked: dict[str, set[str]] = {kind: set() for kind in kinds}

    def paths(kind: str, count: int) -> list[str]:
        if kind == "bare":
            return ["/checkpoint-key"] * count
        query = "?withProof=true" if kind.startswith("proven") else ""
        if kind in ASKED_BY:  # DIDs asked by its kind, in this round or before
            earlier = sorted(asked[ASKED_BY[kind]])
            return [f"/1.0/identifiers/{random.choice(earlier)}{query}" for _ in range(count)]
        chosen = [random.choice(dids) for _ in range(count)]
        asked[kind].update(chosen)
        return [f"/1.0/identifiers/{did}{query}" for did in chosen]

    for turn in range(sizes.rounds):
        shift = turn % len(GROUPS)
        for group in GROUPS[shift:] + GROUPS[:shift]:
            for kind in group:
                count = sizes.proven if kind.startswith("proven") else sizes.plain
                gets = [loadgen.request("GET", path) for path in paths(kind, count)]
                before = server_cpu(pid)
                result = loadgen.run(
                    "127.0.0.1", port, [gets[i::CONNECTIONS] for i in range(CONNECTIONS)]
                )
                kinds[kind].cpu.append(cpu_since(pid, before) / count)
                assert result.statuses == {200: count}, (kind, result.statuses)
                kinds[kind].rounds.append(result)
    first = {kind: len(asked[kind]) / kinds[kind].count() for kind in kinds}
    return kinds, first


def spread(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    """``lo-hi`` of ``values`` times ``scale``, for a row's label."""
    return f"{min(values) * scale:,.{digits}f}-{max(values) * scale:,.{digits}f}"


def resolution_rows(port: int, dids: list[str], size: int, sizes: Sizes, pid: int) -> list[Row]:
    """Each kind's rate, p99 and the server's CPU per request (medians of the rounds, their
    range beside them), and resolution against the bare route two ways, each held to the
    goal unless a smoke run (whose figures mean nothing): by the server's CPU, the ratio of
    the medians (the rate one core of the server would give each kind, steady whatever else
    runs), and by the rates the load generator saw, the median of each round's ratio (what
    the goal names, fair only on a machine the benchmark has to itself: the load generator
    shares the cores with the server). The plain requests of DIDs asked before are shown,
    not judged: the goal is of requests as they come (their DIDs at random)."""
    judged = sizes != SMOKE
    load = os.getloadavg()[0]
    kinds, first = rounds(port, dids, sizes, pid)
    load = max(load, os.getloadavg()[0])
    bare = kinds["bare"]
    n = sizes.rounds
    rows = [
        Row(
            PART,
            f"resolution rounds: {n}, each kind in turn; {CONNECTIONS} connections, {size:,} "
            f"entries, {os.cpu_count()} cores, load average (1 min) up to",
            load,
            "",
        ),
        Row(PART, "bare route (/checkpoint-key), median of the rounds", bare.rate(), "req/s"),
        Row(PART, "  bare route p99", bare.p99(), "ms"),
        Row(
            PART,
            f"  bare route, server CPU per request (rounds {spread(bare.cpu, 1e6)})",
            bare.cpu_us(),
            "us",
        ),
    ]
    goals = {"plain": 0.9, "proven": 0.6}
    names = {
        "plain": "DID resolution, plain",
        "again": "DID resolution, plain, of DIDs asked before",
        "proven": "DID resolution with proofs (history, inclusion, map)",
        "proven_again": "DID resolution with proofs, of DIDs asked so before",
    }
    short = {
        "plain": "plain",
        "again": "asked before",
        "proven": "with proofs",
        "proven_again": "with proofs asked before",
    }
    for kind, name in names.items():
        got, label, goal = kinds[kind], short[kind], goals.get(kind)
        rate_ratios = [r.rate / b.rate for r, b in zip(got.rounds, bare.rounds, strict=True)]
        # A round too short for the server's threads to have been charged any CPU gives none.
        cpu_ratios = [b / c for c, b in zip(got.cpu, bare.cpu, strict=True) if c > 0] or [nan]
        by_cpu = bare.cpu_us() / got.cpu_us() if got.cpu_us() > 0 else nan
        by_rate = statistics.median(rate_ratios)
        ranged = spread(rate_ratios, digits=2)
        target = f">= {goal}" if goal is not None else ""
        rows += [
            Row(PART, f"{name}, median of the rounds", got.rate(), "res/s"),
            Row(
                PART,
                f"  {label} p99",
                got.p99(),
                "ms",
                "<= 30" if kind == "plain" else "",
                got.p99() <= 30 if judged and kind == "plain" else None,
            ),
            Row(
                PART,
                f"  {label}, server CPU per resolution (rounds {spread(got.cpu, 1e6)})",
                got.cpu_us(),
                "us",
            ),
            Row(
                PART,
                f"  {label}, server CPU above the bare route's",
                got.cpu_us() - bare.cpu_us(),
                "us",
            ),
            Row(
                PART,
                f"  {label} / bare by server CPU (ratio of the medians)",
                by_cpu,
                "x",
                target,
                by_cpu >= goal if judged and goal is not None else None,
            ),
            Row(
                PART,
                f"  {label} / bare by server CPU, median of the rounds' ratios "
                f"({spread(cpu_ratios, digits=2)})",
                statistics.median(cpu_ratios),
                "x",
            ),
            Row(
                PART,
                f"  {label} / bare by rate (median of the rounds' ratios; {ranged})",
                by_rate,
                "x",
                target,
                by_rate >= goal if judged and goal is not None else None,
            ),
        ]
        if kind not in ASKED_BY:
            rows.append(Row(PART, f"  {label}, first asks of their DID", first[kind] * 100, "%"))
    return rows


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
