"""The same issuer app behind other HTTP servers, for comparison: the shell's guarded server
with its other request parser (every guard the same), and uvicorn's plain h11 and httptools
protocols without the shell's guards (head deadline, connection budget, body limits), which
every real service keeps. ``python -m benchmarks.issuer --compare-servers`` runs the
issuance over each in the same run as over the real server, so the table shows what the HTTP
layer costs and what a change of parser saves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

from civicid.shell.server import PARSER, PARSERS
from cli.harness import wait_until_healthy

# Started in a child process: the issuer of ``root`` served by uvicorn with ``protocol``,
# through the shell's guarded server (``guarded``) or uvicorn's own protocol.
LAUNCHER: Final = """
import sys, uvicorn
from pathlib import Path
from civicid.shell.server import listen, serve, server_config
from issuer.app import create_app
from issuer.settings import IssuerSettings
root, port, protocol, guarded = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
settings = IssuerSettings.load(Path(root))
app = create_app(settings)
if guarded == "guarded":
    serve(server_config(settings, app, parser=protocol), listen("127.0.0.1", port))
else:
    uvicorn.run(app, host="127.0.0.1", port=port, http=protocol, log_level="warning",
                access_log=False, lifespan="on", server_header=False)
"""
# (what the row calls it, uvicorn's protocol, whether the shell's guards are on)
SERVERS: Final = (
    *((f"the shell's guarded server, {p}", p, True) for p in sorted(PARSERS) if p != PARSER),
    ("uvicorn h11, unguarded", "h11", False),
    ("uvicorn httptools, unguarded", "httptools", False),
)


def serve_other(
    root: Path, port: int, protocol: str, guarded: bool, cwd: Path
) -> subprocess.Popen[bytes]:
    mode = "guarded" if guarded else "plain"
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(root), str(port), protocol, mode], cwd=cwd
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
    return proc
