"""Files read from disk, where one may be damaged, replaced, or made endless or huge by
whoever can write there: each read within a bound the reader names."""

from __future__ import annotations

import os
from pathlib import Path

from civicid.errors import Code


def read_bounded(
    path: Path,
    limit: int,
    *,
    too_large: Code,
    message: str | None = None,
    unreadable: Code | None = None,
) -> bytes:
    """``path``'s bytes, reading one past ``limit`` at the most: a longer file is
    ``too_large`` (with ``message``; by default one naming the file and the bound) and the
    rest of it is never read, so a huge or endless file (a FIFO, ``/dev/zero``) costs no more
    than the bound. A file that cannot be opened or read is ``unreadable`` ("cannot read
    PATH: reason"), or without it the ``OSError`` itself, for the caller to judge (a missing
    file is often not damage)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        if unreadable is None:
            raise
        raise unreadable(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > limit:
        raise too_large(message or f"{path} exceeds {limit} bytes")
    return data


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new name in ``directory`` durable (a file's own fsync is not)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
