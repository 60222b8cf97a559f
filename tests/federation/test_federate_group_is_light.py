"""The ``federate`` group of a part is built (for its help, or any of its commands) without
the ledger client and the trust package: its commands import them when they run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("civicid.ledger_client", "civicid.trust", "civicid.did", "httpx")


def test_building_the_group_imports_no_ledger_client() -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from cli.federate import federate_app\n"
        "federate_app('wallet', lambda d: Path(d), lambda d: None)\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, cwd=ROOT)  # fmt: skip
    assert json.loads(done.stdout.splitlines()[-1]) == []
