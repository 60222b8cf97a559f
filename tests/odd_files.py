"""What a person or a disk may leave where a file is read: each made at a path, for tests that
a reader refuses it at once (a named pipe would hold an open to read for ever, /dev/zero a read
to its end) instead of waiting or reading it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

# How each is named in "… is not a regular file (KIND)", as civicid.files.kind_of says it.
KINDS: Final = ("a named pipe", "a directory", "/dev/zero")


def put(path: Path, kind: str) -> None:
    """Make ``kind`` (one of ``KINDS``) at ``path``, which must not exist."""
    if kind == "a named pipe":
        os.mkfifo(path)
    elif kind == "a directory":
        path.mkdir()
    elif kind == "/dev/zero":
        path.symlink_to("/dev/zero")
    else:
        raise ValueError(f"no odd file {kind!r}")
