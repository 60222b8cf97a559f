"""Mirror benchmark: DID resolutions per second from a mirror beside the same from the ledger
it follows, in one run (each a `civicid` server process on loopback, loaded in turn).

Also what writing the log as tiles costs the ledger's writer: durable appends per second
with the tile writer following the log and without it (target: 0.9x at least).

A mirror serves its verified copy through the ledger's own routes, so the two should be
about as fast; the figure shows what following and serving a copy costs a reader. Also: how
long a mirror's first round takes (fetch, replay and audit every entry), and a round that
finds nothing new.

Run: ``python -m benchmarks.mirror [--dids 2000] [--smoke]``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import loadgen
from benchmarks.table import Row, render
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from cli.harness import free_port, wait_until_healthy
from ledger.mirror import Mirror
from ledger.monitor import TRUST_FILE
from ledger.setup import CHECKPOINT_KEY, Paths, initialize, open_ledger
from ledger.tiles import follow

PART = "mirror"
CONNECTIONS = 50
SUBMITTERS = 16  # threads submitting at once: the ledger commits them in groups
# The mirror's own share of the ledger's rate it should reach (it serves the same routes).
TARGET = 0.8
PAIRS = 3  # measurements of each, alternated


def fill(root: Path, dids: int, *, tiles: bool = False) -> list[str]:
    """A ledger at ``root`` with ``dids`` agency DIDs (its tiles written as it appends,
    if ``tiles``); returns them."""
    genesis = initialize(root)
    ledger = open_ledger(root)
    writer = follow(ledger, Paths(root).tiles) if tiles else None
    made: list[str] = []
    lock = threading.Lock()

    def submit(count: int) -> None:
        for _ in range(count):
            who = Identity.create()
            endorsement = genesis.governance.endorse(who.did, "agency", ledger=genesis.origin)
            ledger.submit(who.create_tx(role="agency", endorsement=endorsement,
                                        ledger=genesis.origin))  # fmt: skip
            with lock:
                made.append(who.did)

    threads = [threading.Thread(target=submit, args=(dids // SUBMITTERS + 1,))
               for _ in range(SUBMITTERS)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if writer is not None:
        writer.stop()
    ledger.close()
    return made


def appends(tmp: Path, dids: int) -> tuple[float, float]:
    """Durable appends per second without tiles and with them, in turn, twice each."""
    rates: dict[bool, float] = {False: 0.0, True: 0.0}
    for turn in range(4):
        tiles = bool(turn % 2)
        root = tmp / f"appends-{turn}"
        started = time.perf_counter()
        made = fill(root, dids, tiles=tiles)
        rates[tiles] = max(rates[tiles], len(made) / (time.perf_counter() - started))
        shutil.rmtree(root)
    return rates[False], rates[True]


def start(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "ledger", *args, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None, timeout=600)
    return proc, port


def resolutions(port: int, dids: list[str], count: int) -> float:
    gets = [loadgen.request("GET", f"/1.0/identifiers/{random.choice(dids)}")
            for _ in range(count)]  # fmt: skip
    result = loadgen.run("127.0.0.1", port, [gets[i::CONNECTIONS] for i in range(CONNECTIONS)])
    if set(result.statuses) != {200}:
        raise RuntimeError(f"unexpected answers: {result.statuses}")
    return result.rate


def rounds(root: Path, copy: Path, url: str) -> tuple[float, float]:
    """Seconds of a first round into an empty copy, and of a round with nothing new."""
    vkey = str(open_ledger_key(root))
    client = LedgerClient(url, vkey, trust_file=copy / TRUST_FILE)
    mirror = Mirror(client, copy)
    try:
        started = time.perf_counter()
        first = mirror.follow()
        middle = time.perf_counter()
        idle = mirror.follow()
        ended = time.perf_counter()
        if first.error or idle.error:
            raise RuntimeError(f"the mirror refused: {first.error or idle.error}")
    finally:
        mirror.close()
        client.close()
    return middle - started, ended - middle


def open_ledger_key(root: Path) -> str:
    return str(Paths(root).keys.get(CHECKPOINT_KEY)["vkey"])


def main(argv: list[str]) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mirror")
    parser.add_argument("--dids", type=int, default=2000)
    parser.add_argument("--resolutions", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true")
    args, _ = parser.parse_known_args(argv)
    dids_wanted, count = (40, 300) if args.smoke else (args.dids, args.resolutions)
    with tempfile.TemporaryDirectory(prefix="civicid-bench-mirror-") as tmp:
        plain, tiled = appends(Path(tmp), dids_wanted)
        root = Path(tmp) / "ledger"
        dids = fill(root, dids_wanted)
        ledger, ledger_port = start("serve", "--data-dir", str(root))
        url = f"http://127.0.0.1:{ledger_port}"
        try:
            first, idle = rounds(root, Path(tmp) / "copy", url)
            mirror, mirror_port = start("mirror", url, "--data-dir", str(Path(tmp) / "m"),
                                        "--ledger-key", open_ledger_key(root))  # fmt: skip
            try:
                # In turn, back to back, three times: the two servers share the machine
                # (and it may be shared), so the ratio of each pair, then their median.
                pairs = []
                for _ in range(PAIRS):
                    ledger_rate = resolutions(ledger_port, dids, count)
                    pairs.append((ledger_rate, resolutions(mirror_port, dids, count)))
            finally:
                mirror.terminate()
                mirror.wait()
        finally:
            ledger.terminate()
            ledger.wait()
    size = len(dids) + 1
    from_ledger = statistics.median(pair[0] for pair in pairs)
    from_mirror = statistics.median(pair[1] for pair in pairs)
    ratio = statistics.median(pair[1] / pair[0] for pair in pairs)
    return [
        Row(PART, f"DID resolution from the ledger, {CONNECTIONS} clients", from_ledger, "/s"),
        Row(PART, f"DID resolution from a mirror, {CONNECTIONS} clients", from_mirror, "/s"),
        Row(
            PART,
            "mirror rate / ledger rate (median of pairs)",
            ratio,
            "x",
            f">= {TARGET}",
            ratio >= TARGET,
        ),
        Row(PART, f"first round, {size:,} entries (fetch, replay, audit)", first, "s"),
        Row(PART, "durable appends/s, 16 submitters, no tiles", plain, "/s"),
        Row(PART, "durable appends/s, tiles written as the log grows", tiled, "/s"),
        Row(
            PART, "appends with tiles / without", tiled / plain, "x", ">= 0.9", tiled / plain >= 0.9
        ),
        Row(PART, "a round with nothing new", idle * 1000, "ms"),
    ]


if __name__ == "__main__":
    print(render(main(sys.argv[1:])))
