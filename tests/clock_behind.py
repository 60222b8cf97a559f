"""What the ``serve`` tests of a clock moved back share: a service's files dated a day ahead
of the clock (the clock moved back after a run), and the refusal they must meet."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from cli.harness import free_port
from tests.test_up import CIVICID, ENV

DAY = 86_400
# Seconds a refused ``serve`` has to say so: one that serves instead is stopped by then.
REFUSED_WITHIN = 120


def moved_back(folder: Path) -> None:
    """Every file directly in ``folder`` last written a day after now."""
    ahead = time.time() + DAY
    files = [entry.path for entry in os.scandir(folder)]
    assert files, folder
    for path in files:
        os.utime(path, (ahead, ahead))


def serve_refused(part: str, data_dir: Path) -> str:
    """The one line ``civicid PART serve`` over ``data_dir`` refuses with (in a process of its
    own: one that serves instead is stopped, and the test fails, rather than serving on)."""
    done = subprocess.run(
        [CIVICID, part, "serve", "--data-dir", str(data_dir), "--port", str(free_port())],
        capture_output=True, text=True, env=ENV, timeout=REFUSED_WITHIN, check=False,
    )  # fmt: skip
    line = done.stderr.strip()
    assert done.returncode != 0 and "\n" not in line, done.stderr
    return line


def assert_serve_refused(part: str, data_dir: Path) -> None:
    """``civicid PART serve`` over ``data_dir`` says, in one line, ``service_clock_behind``,
    naming the data dir and what to do."""
    line = serve_refused(part, data_dir)
    assert line.endswith("[service_clock_behind]"), line
    assert str(data_dir) in line and "set the clock right" in line, line
