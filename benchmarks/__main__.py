"""Run every part's benchmark and print one table."""

from __future__ import annotations

import sys

from benchmarks import governance, issuer, ledger, sdjwt, verifier, wallet
from benchmarks.table import render


def main() -> None:
    rows = ledger.main(sys.argv[1:])
    rows += governance.main(sys.argv[1:])
    rows += sdjwt.main(sys.argv[1:])
    rows += issuer.main(sys.argv[1:])
    rows += verifier.main(sys.argv[1:])
    rows += wallet.main(sys.argv[1:])
    print()
    print(render(rows))


if __name__ == "__main__":
    main()
