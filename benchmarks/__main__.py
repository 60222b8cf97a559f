"""Run every part's benchmark and print one table.

``python -m benchmarks --smoke`` runs each at a tiny size (seconds in all): its figures mean
nothing, but every step of every benchmark runs, so a change that breaks one is seen. Either
way a benchmark that fails is named, the others still run, and the exit status is non-zero.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from benchmarks import (
    cli,
    desk_store,
    federation,
    governance,
    issuer,
    ledger,
    ledger_pg,
    ledger_serving,
    mirror,
    postgres,
    rules,
    sdjwt,
    shell_request,
    store_migration,
    store_pg,
    store_reads,
    transparency,
    verifier,
    wallet,
    witness,
    witnessing,
)
from benchmarks.table import Row, render

BENCHMARKS: dict[str, Callable[[list[str]], list[Row]]] = {
    "ledger": ledger.main,
    "ledger_pg": ledger_pg.main,
    "ledger_serving": ledger_serving.main,
    "governance": governance.main,
    "sdjwt": sdjwt.main,
    "issuer": issuer.main,
    "postgres": postgres.main,
    "verifier": verifier.main,
    "desk_store": desk_store.main,
    "store_reads": store_reads.main,
    "store_migration": store_migration.main,
    "store_pg": store_pg.main,
    "rules": rules.main,
    "wallet": wallet.main,
    "witness": witness.main,
    "witnessing": witnessing.main,
    "transparency": transparency.main,
    "mirror": mirror.main,
    "federation": federation.main,
    "cli": cli.main,
    "shell_request": shell_request.main,
}


def main(argv: list[str]) -> int:
    rows: list[Row] = []
    failed: list[str] = []
    for name, bench in BENCHMARKS.items():
        started = time.perf_counter()
        try:
            rows += bench(argv)
        except Exception:  # one broken benchmark must not hide the others: named below
            traceback.print_exc()
            failed.append(name)
        print(f"benchmark {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print()
    print(render(rows))
    if "--smoke" in argv:
        print("(a smoke run: every step ran at a tiny size; its figures mean nothing)")
    if failed:
        print(f"error: benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
