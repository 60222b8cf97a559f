"""``civicid wallet --help`` and ``civicid verifier --help`` import no ledger client (nor the
part's service, settings or holder that use it: half a second of a fresh process): each
command imports what it uses when it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a part's help needs none of: the ledger client, and the modules that import it.
NOT_FOR_HELP = (
    "civicid.ledger_client",
    "civicid.trust",
    "wallet.settings",
    "wallet.holder.wallet",
    "verifier.settings",
    "verifier.service",
)


def imported_by_help(part: str) -> tuple[list[str], str]:
    """Which of ``NOT_FOR_HELP`` a fresh ``civicid PART --help`` has imported, and its help."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['civicid', {part!r}, '--help']\n"
        "from cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps(sorted(m for m in {list(NOT_FOR_HELP)!r} if m in sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    *printed, last = done.stdout.splitlines()
    return json.loads(last), "\n".join(printed)


@pytest.mark.parametrize(("part", "command"), [("wallet", "receive"), ("verifier", "check")])
def test_a_parts_help_imports_no_ledger_client(part: str, command: str) -> None:
    found, printed = imported_by_help(part)
    assert found == [], found
    assert command in printed and "forget-checkpoint" in printed, printed
