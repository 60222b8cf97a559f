"""Random bytes for codes, tokens, ids and SD-JWT salts, from the OS CSPRNG read in blocks.

An issuance needs some thirty random values (salts above all); one ``getrandom`` call each
costs more than the hashing they feed. Reading 4 KiB at a time and handing it out in slices
is the same randomness at a fraction of the system calls. A forked child starts empty, so
it never hands out what its parent holds.
"""

from __future__ import annotations

import os
import threading
from typing import Final

from civicid.encoding import b64url_encode

BLOCK: Final = 4096


class Entropy:
    def __init__(self) -> None:
        self._block = b""
        self._used = 0
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._block, self._used = b"", 0

    def __call__(self, size: int) -> bytes:
        with self._lock:
            if self._used + size > len(self._block):
                self._block, self._used = os.urandom(max(BLOCK, size)), 0
            start, self._used = self._used, self._used + size
            return self._block[start : self._used]

    def token(self, size: int = 32) -> str:
        """``size`` random bytes, base64url: as ``secrets.token_urlsafe``."""
        return b64url_encode(self(size))

    def ident(self, size: int) -> str:
        """An id people copy into commands and spreadsheets: as ``token``, drawn again while
        it starts with ``-`` (read as an option by a shell command, a formula by a sheet)."""
        while True:
            value = self.token(size)
            if not value.startswith("-"):
                return value

    def digits(self, count: int) -> str:
        """``count`` random decimal digits (a transaction code): rejection sampling, so every
        code is equally likely."""
        limit = 10**count
        ceiling = (1 << 64) - (1 << 64) % limit
        while True:
            value = int.from_bytes(self(8), "big")
            if value < ceiling:
                return str(value % limit).zfill(count)


ENTROPY: Final = Entropy()
