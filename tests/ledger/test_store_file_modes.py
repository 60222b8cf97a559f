"""The store's files are the operator's alone: nobody else on the machine may read or
change them, whichever file it is (the log, its index, leaf hashes, checkpoints, metadata)."""

from __future__ import annotations

import stat
from pathlib import Path

from ledger.setup import Paths, initialize, open_ledger


def test_every_store_file_is_private(tmp_path: Path) -> None:
    initialize(tmp_path)
    open_ledger(tmp_path).close()  # a server's open and close write the rest
    store = Paths(tmp_path).log
    files = [p for p in store.iterdir() if p.is_file()]
    assert {"log.dat", "meta.json"} <= {p.name for p in files}
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
    assert stat.S_IMODE(store.stat().st_mode) & 0o077 == 0
