"""The layout rules hold: parts never import each other; the kernel imports no framework."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is installed with the dev extra"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ledger_library_is_usable_without_the_web_layer() -> None:
    """The domain modules import no FastAPI: a fresh interpreter proves it."""
    code = (
        "import sys; import ledger.log, ledger.rules, ledger.audit, civicid.ledger_client; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'textual')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
