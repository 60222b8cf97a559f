"""Refusing to start a service on a clock moved back: one that reads well before its data
directory's last write. The ledger would log entries dated before those it holds, an issuer
sign cards dated before the ones it signed, a desk hold receipts out of order; and the keys,
rules and cards made then would not be in force yet (the first thing to fail said only
that). Asked by ``ledger serve``, ``issuer serve``, ``verifier serve`` and ``civicid up``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from civicid.errors import Code, Conflict, declare
from civicid.times import rfc3339

SERVICE_CLOCK_BEHIND = declare(
    "service_clock_behind",
    Conflict,
    "the clock reads before what the data directory last recorded",
)
# A clock found a little behind the data dir's last write was stepped back by its time
# service (seconds, rarely more); this far back, it is wrong now, or was at the last run.
CLOCK_SLACK_SECONDS: Final = 300


def check_clock(
    data_dir: Path,
    written: Iterable[Path],
    now: float,
    *,
    code: Code = SERVICE_CLOCK_BEHIND,
) -> None:
    """Refuse (``code``) when ``now`` is more than ``CLOCK_SLACK_SECONDS`` before the newest
    file directly in the folders ``written`` (of ``data_dir``), where the service writes as
    it runs. A first run (no such file) and a clock set right since start as ever."""
    newest = max((last_written(folder) for folder in written), default=0.0)
    if newest - now > CLOCK_SLACK_SECONDS:
        raise code(
            f"the clock reads {rfc3339(int(now))}, but {data_dir} was last written at "
            f"{rfc3339(int(newest))}: set the clock right, then run again (what is recorded "
            "now would be dated before what is held there)"
        )


def last_written(folder: Path) -> float:
    """The newest modification time of the files directly in ``folder``; 0 where there is
    none (a first run), or it cannot be read (said by what opens it next)."""
    try:
        return max((entry.stat().st_mtime for entry in os.scandir(folder)), default=0.0)
    except OSError:
        return 0.0
