"""A small service served in a process of its own, as ``civicid.shell.server`` serves every
service, under a low file-descriptor limit: for the burst test (``test_accept_bursts.py``).

Run as ``python -m tests.civicid.shell.burst_server PORT NOFILE LOOP DATA_DIR [PARSER]`` (LOOP:
one of uvicorn's, ``auto`` as served; PARSER: one of ``PARSERS``, the served one by default).
Each time a connection is admitted it notes how many descriptors the process holds; the most
is at ``GET /descriptors``. Every connection accepted before an admission holds one then, so
the most seen there is the most a burst made it hold. (``test_pipelined_memory.py`` measures
the memory it holds.)
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path
from typing import Any

from civicid.shell import connections
from civicid.shell.server import PARSER, listen, serve, server_config
from civicid.shell.settings import ServiceSettings
from tests.civicid.shell.conftest import small_service


def held() -> int:
    """This process's open descriptors; at its limit, the limit (listing them takes one)."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # less the one the listing opened
    except OSError:
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main(port: int, nofile: int, loop: str, data_dir: Path, parser: str = PARSER) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
    most = {"descriptors": 0}
    admit = connections.Budget.admit

    def noting(budget: connections.Budget, connection: Any) -> bool:
        most["descriptors"] = max(most["descriptors"], held())
        return admit(budget, connection)

    connections.Budget.admit = noting  # type: ignore[method-assign]  # observed, not changed
    app = small_service()

    @app.get("/descriptors")
    async def descriptors() -> dict[str, int]:
        return {"most": most["descriptors"], "now": held()}

    # The process's budget alone caps connections here (128 at 256 descriptors).
    settings = ServiceSettings(data_dir=data_dir, max_connections=100_000)
    config = server_config(settings, app, parser=parser)
    config.loop = loop
    serve(config, listen("127.0.0.1", port))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), *sys.argv[5:])
