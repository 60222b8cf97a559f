"""The same issuer app behind other HTTP servers, for comparison only: uvicorn's plain h11
and its httptools protocol, both without the shell's guards (head deadline, connection
budget, body limits), which every real service keeps. ``python -m benchmarks.issuer
--compare-servers`` runs the issuance over each in the same run as over the real server,
so the table shows what the HTTP layer costs and what a change of protocol would save.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

from cli.harness import wait_until_healthy

# Started in a child process: the issuer of ``root`` served by uvicorn with ``protocol``.
LAUNCHER: Final = """
import sys, uvicorn
from pathlib import Path
from issuer.app import create_app
from issuer.settings import IssuerSettings
root, port, protocol = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = create_app(IssuerSettings.load(Path(root)))
uvicorn.run(app, host="127.0.0.1", port=port, http=protocol, log_level="warning",
            access_log=False, lifespan="on", server_header=False)
"""
PROTOCOLS: Final = (
    ("uvicorn h11, unguarded", "h11"),
    ("uvicorn httptools, unguarded", "httptools"),
)


def serve_plain(root: Path, port: int, protocol: str, cwd: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(root), str(port), protocol], cwd=cwd
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
    return proc
