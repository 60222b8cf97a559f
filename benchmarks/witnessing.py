"""The ledger's witnessing, with three witness services on loopback (quorum two), each
fsyncing before it answers: the time from an append to a checkpoint covering it that a
quorum cosigned (what readers are served), p50 and p99; appends per second with witnessing
running beside the writer and without it, in alternating windows on one ledger (with the
witnesses' data on the disk the ledger uses, and on tmpfs, where their fsyncs cost nothing:
the ledger's own cost apart from the disk they share on one machine); and what the client's
one acceptance point costs for a cosigned checkpoint beside a plain one.

Run: ``python -m benchmarks.witnessing [--appends 200] [--window 1000] [--smoke]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks.table import Row, render
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.cosignature import split_cosigned
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.tlog_policy import TlogPolicy
from cli.harness import free_port, serving, wait_until_healthy
from ledger.log import Ledger
from ledger.setup import initialize, open_ledger
from ledger.witness.app import create_app as witness_app
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import initialize as witness_init
from ledger.witness.setup import load_key, log_setting
from ledger.witnessing import Witnessing

PART = "witnessing"
CIVICID = str(Path(sys.executable).parent / "civicid")
WITNESSES = 3
QUORUM = 2
# A witness process imports the whole command line first: slow on a loaded machine.
STARTUP = 90.0
ROUNDS = 3  # windows of each kind, alternating: the machine is shared
THREADS = 32  # concurrent submitters in the append-rate windows
# Cosigning runs beside the writer and sends only the newest checkpoint: it may cost the
# writer a little CPU (answers parsed, cosignatures verified), never a wait.
RATE_TARGET = 0.9
# Three witnesses on loopback each fsync before answering (a few ms on this machine's disk):
# a reader sees a new entry witnessed within a few of those.
P99_TARGET_MS = 250.0
# The acceptance point verifies two or three more Ed25519 signatures than the log's one.
ACCEPT_RATIO_TARGET = 6.0
SHM = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 (tmpfs, by design)


@dataclass(frozen=True, slots=True)
class Sizes:
    appends: int = 200  # sequential appends timed to their quorum
    window: int = 1000  # appends per timed window (each kind, each round)
    accepts: int = 2000  # checkpoints accepted per kind
    processes: bool = True  # witnesses in their own processes


SMOKE = Sizes(appends=5, window=20, accepts=20, processes=False)


def witnesses(
    stack: ExitStack, root: Path, vkey: str, prefix: str, *, processes: bool = True
) -> TlogPolicy:
    """Three witnesses of the log ``vkey``, each its own process and data dir under ``root``
    (``civicid witness serve``): their work is not this process's, as in production. Without
    ``processes`` (a smoke run: no start-up to wait for), served in this process."""
    lines = []
    for number in range(1, WITNESSES + 1):
        home = root / f"{prefix}{number}"
        witness_init(home, f"{prefix}{number}.bench.example", [log_setting(vkey)])
        if not processes:
            settings = WitnessSettings.load(home, port=0)
            url = stack.enter_context(serving(witness_app(settings), 0, settings=settings))
            lines.append(f"witness {prefix}{number} {load_key(home).vkey()} {url}")
            continue
        port = free_port()
        process = subprocess.Popen(
            [CIVICID, "witness", "serve", "--data-dir", str(home), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(stop, process)
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, alive=lambda p=process: p.poll() is None, timeout=STARTUP)  # type: ignore[misc]
        lines.append(f"witness {prefix}{number} {load_key(home).vkey()} {url}")
    names = " ".join(f"{prefix}{n}" for n in range(1, WITNESSES + 1))
    lines += [f"group all-witnesses {QUORUM} {names}", "quorum all-witnesses"]
    return TlogPolicy.parse("\n".join(lines) + "\n")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def transactions(governance: Identity, origin: str, count: int) -> list[str]:
    """``count`` DID creations, each endorsed by governance, signed beforehand."""
    signed = []
    for _ in range(count):
        who = Identity.create()
        endorsement = governance.endorse(who.did, "agency", ledger=origin)
        signed.append(who.create_tx(role="agency", endorsement=endorsement, ledger=origin))
    return signed


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("no quorum-cosigned checkpoint in time")
        time.sleep(0.0002)


def cosigned_to(witnessing: Witnessing, size: int) -> Callable[[], bool]:
    """Whether ``witnessing`` served a quorum-cosigned view of at least ``size`` entries (the
    ledger's own ``view`` falls back to the plain signed one before the first is served)."""

    def reached() -> bool:
        served = witnessing.served
        return served is not None and served.size >= size

    return reached


def quorum_latencies(ledger: Ledger, witnessing: Witnessing, work: list[str]) -> list[float]:
    """Seconds from each append's start to the served (quorum-cosigned) checkpoint covering
    it, one append at a time."""
    seconds = []
    for tx in work:
        started = time.perf_counter()
        seq = ledger.submit(tx).seq
        until(cosigned_to(witnessing, seq + 1))
        seconds.append(time.perf_counter() - started)
    return seconds


def append_rate(ledger: Ledger, work: list[str]) -> float:
    """Appends per second by ``THREADS`` concurrent submitters."""
    queues = [work[i::THREADS] for i in range(THREADS)]
    errors: list[BaseException] = []

    def submit(mine: list[str]) -> None:
        try:
            for tx in mine:
                ledger.submit(tx)
        except BaseException as exc:  # surfaced below: a benchmark must not hide failures
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(q,)) for q in queues]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return len(work) / (time.perf_counter() - started)


def accept_rate(client: LedgerClient, note: str, count: int) -> float:
    """Checkpoints accepted per second of CPU by the client's one acceptance point, each as
    if seen for the first time (nothing trusted yet, so nothing remembered of it)."""
    started = time.thread_time()
    for _ in range(count):
        client.trusted, client.witnessed = None, None
        client.accept_checkpoint(note)
    return count / (time.thread_time() - started)


def witnessed_rate(ledger: Ledger, policy: TlogPolicy, work: list[str]) -> float:
    """``append_rate`` with witnessing running beside the writer, then its quorum awaited."""
    witnessing = Witnessing(ledger, policy, timeout=5.0)
    witnessing.start()
    try:
        rate = append_rate(ledger, work)
        until(cosigned_to(witnessing, ledger.signed.size))
        return rate
    finally:
        witnessing.close()


def run(sizes: Sizes) -> list[Row]:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        genesis = initialize(tmp / "ledger")
        ledger = open_ledger(tmp / "ledger")
        stack.callback(ledger.close)
        on_disk = witnesses(stack, tmp, genesis.vkey, "w", processes=sizes.processes)
        # The same witnesses with their data in memory (tmpfs: an fsync costs nothing): what
        # is left is the ledger's own cost, not the disk it shares with them on one machine.
        memory = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=SHM)))
        in_memory = witnesses(stack, memory, genesis.vkey, "m", processes=sizes.processes)
        origin = str(ledger.state.origin)
        modes = ("none", "disk", "memory")
        work = transactions(
            genesis.governance, origin, sizes.appends + len(modes) * ROUNDS * sizes.window
        )
        timed, windows = work[: sizes.appends], work[sizes.appends :]
        witnessing = Witnessing(ledger, on_disk, timeout=5.0)
        witnessing.start()
        try:
            latencies = quorum_latencies(ledger, witnessing, timed)
        finally:
            witnessing.close()
        rates: dict[str, list[float]] = {mode: [] for mode in modes}
        chunks = iter(windows[i : i + sizes.window] for i in range(0, len(windows), sizes.window))
        for _ in range(ROUNDS):
            rates["none"].append(append_rate(ledger, next(chunks)))
            rates["disk"].append(witnessed_rate(ledger, on_disk, next(chunks)))
            rates["memory"].append(witnessed_rate(ledger, in_memory, next(chunks)))
        policy = in_memory  # the last to cosign what the ledger serves
        cosigned = ledger.checkpoint
        plain = split_cosigned(cosigned).log_note()
        vkey = str(ledger.state.checkpoint_vkey)
        strict = CheckpointPolicy(policy)
        with (
            LedgerClient("http://127.0.0.1:9", vkey) as bare,
            LedgerClient("http://127.0.0.1:9", vkey, policy=strict) as quorum,
        ):
            plain_rate = accept_rate(bare, plain, sizes.accepts)
            cosigned_rate = accept_rate(quorum, cosigned, sizes.accepts)
    ms = sorted(s * 1000 for s in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    without, with_, memory_rate = (max(rates[m]) for m in ("none", "disk", "memory"))
    ratio, memory_ratio = with_ / without, memory_rate / without
    cost = plain_rate / cosigned_rate
    return [
        Row(PART, "append to quorum-cosigned checkpoint, p50", p50, "ms"),
        Row(
            PART,
            "append to quorum-cosigned checkpoint, p99",
            p99,
            "ms",
            f"<= {P99_TARGET_MS:g} ms",
            p99 <= P99_TARGET_MS,
        ),
        Row(PART, f"appends/s, {THREADS} submitters, no witnessing", without, "/s"),
        Row(PART, f"appends/s, {THREADS} submitters, 3 witnesses", with_, "/s"),
        Row(PART, f"appends/s, {THREADS} submitters, 3 witnesses on tmpfs", memory_rate, "/s"),
        Row(
            PART,
            "appends/s with witnesses on tmpfs vs without (the ledger's own cost)",
            memory_ratio,
            "x",
            f">= {RATE_TARGET:g}x",
            memory_ratio >= RATE_TARGET,
        ),
        Row(
            PART,
            "appends/s with witnesses on the same disk vs without",
            ratio,
            "x",
            f">= {RATE_TARGET:g}x",
            ratio >= RATE_TARGET,
        ),
        Row(PART, "acceptance point: plain checkpoint (CPU)", plain_rate, "/s"),
        Row(PART, "acceptance point: cosigned, 3 of quorum 2 (CPU)", cosigned_rate, "/s"),
        Row(
            PART,
            "cost of cosigned vs plain at the acceptance point",
            cost,
            "x",
            f"<= {ACCEPT_RATIO_TARGET:g}x",
            cost <= ACCEPT_RATIO_TARGET,
        ),
    ]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=Sizes().appends)
    parser.add_argument("--window", type=int, default=Sizes().window)
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    sizes = SMOKE if args.smoke else Sizes(appends=args.appends, window=args.window)
    rows = run(sizes)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
