"""The ``civicid`` command's start-up: CPU and wall time of a fresh process printing the
version, the root's help, and a part's help, and how many modules each imported.

Run: ``python -m benchmarks.cli [--starts 5] [--against DIR] [--smoke]``. With ``--against``
(a checkout of other code, e.g. a worktree at main) each command is run from both trees in
turn, alternating which goes first, and the table gives the other's CPU over this one's:
on a machine shared with other work, two runs minutes apart are not comparable.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from benchmarks.table import Row, ratio, render

PART = "cli"
ROOT: Final = Path(__file__).resolve().parents[1]
COMMANDS: Final = (
    ("--version",),
    ("--help",),
    ("wallet", "--help"),
    ("verifier", "--help"),
    ("ledger", "--help"),
)
# A command-line tool's start: under a fifth of a second of CPU is not noticed, typed.
VERSION_TARGET_S: Final = 0.2
ROUNDS: Final = 5
SMOKE_ROUNDS: Final = 1
# Printed by the measured process after the command, on its own line: its module count.
COUNT: Final = (
    "import sys\n"
    "sys.argv = ['civicid', *sys.argv[1:]]\n"
    "from cli.main import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(len(sys.modules), file=sys.stderr)\n"
)


def started(tree: Path, command: tuple[str, ...]) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, modules imported) of ``civicid COMMAND`` run from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "80"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begun = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COUNT, *command],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - begun
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, wall, int(done.stderr.split()[-1])


def run(rounds: int, against: Path | None) -> list[Row]:
    trees = [ROOT] if against is None else [ROOT, against]
    seen: dict[tuple[Path, tuple[str, ...]], list[tuple[float, float, int]]] = {}
    for n in range(rounds):
        for command in COMMANDS:
            for tree in trees if n % 2 == 0 else trees[::-1]:
                seen.setdefault((tree, command), []).append(started(tree, command))
    rows = []
    for command in COMMANDS:
        said = "civicid " + " ".join(command)
        mine = seen[(ROOT, command)]
        cpu = statistics.median(m[0] for m in mine)
        met = cpu <= VERSION_TARGET_S if command == ("--version",) else None
        target = f"<= {VERSION_TARGET_S} s" if met is not None else ""
        rows.append(Row(PART, f"{said}: CPU", cpu, "s", target, met))
        rows.append(Row(PART, f"{said}: wall", statistics.median(m[1] for m in mine), "s"))
        rows.append(Row(PART, f"{said}: modules", mine[-1][2], ""))
        if against is not None:
            theirs = statistics.median(m[0] for m in seen[(against, command)])
            rows.append(Row(PART, f"{said}: CPU of --against / this", ratio(theirs, cpu), "x"))
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=ROUNDS, help="runs of each command")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--smoke", action="store_true", help="each command once")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    rows = run(SMOKE_ROUNDS if args.smoke else args.starts, args.against)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
