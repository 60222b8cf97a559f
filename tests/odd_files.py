"""What a person or a disk may leave where a file is read: each made at a path, for tests that
a reader refuses it at once (a named pipe would hold an open to read for ever, /dev/zero a read
to its end) instead of waiting or reading it."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

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


def deny_listing(monkeypatch: Any, directory: Path) -> None:
    """Make ``directory`` one this user may not list, as the kernel refuses a user without
    the right (tests run as root, whom no mode bars): every ``os.scandir`` and ``os.listdir``
    of it fails with EACCES (``Path.glob`` lists through ``os.scandir``)."""
    inside = str(directory)

    def denied(call: Callable[..., Any]) -> Callable[..., Any]:
        def listing(path: Any = ".") -> Any:
            if os.fspath(path) == inside:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), inside)
            return call(path)

        return listing

    monkeypatch.setattr(os, "scandir", denied(os.scandir))
    monkeypatch.setattr(os, "listdir", denied(os.listdir))
