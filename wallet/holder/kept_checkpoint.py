"""The wallet's checkpoint file (``wallet/checkpoint``, the newest ledger checkpoint it
trusted) watched while its ledger client is open: damaged, replaced or removed from outside,
it is written again from what the client holds, what was found kept beside it, and said once
(``wallet_checkpoint_put_back``), as the store's file is (``wallet_store_put_back``). The
client would otherwise write over it at its next checkpoint without a word, or, closed first,
refuse to open on it."""

from __future__ import annotations

from pathlib import Path

from civicid.errors import Error
from civicid.keystore import write_private
from civicid.ledger_client import MAX_TRUST_FILE_BYTES
from wallet.errors import WALLET_CHECKPOINT_PUT_BACK, WALLET_STORE_WRITE_FAILED
from wallet.holder.store import identity, set_aside


class KeptCheckpoint:
    """The checkpoint file as the wallet's ledger client last left it (``identity`` and
    bytes), from the client's opening on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = identity(path)
        self.data = read(path)

    def check(self, held: str | None) -> Error | None:
        """A file not as it was left, and not the note the client holds now (``held``: its
        own write of a newer checkpoint), is put back: the note held, else the file as last
        seen. The notice to give, once; None when there is nothing to say."""
        now = identity(self.path)
        if now == self.seen:
            return None
        found = read(self.path)
        note = held.encode("utf-8") if held is not None else None
        if found is not None and found in (note, self.data):
            self.seen, self.data = now, found
            return None
        kept = note or self.data
        if kept is None:  # nothing trusted yet: nothing to keep
            self.seen, self.data = now, found
            return None
        try:
            aside = set_aside(self.path)
            write_private(self.path, kept)
        except (Error, OSError) as exc:
            self.seen = identity(self.path)  # said once, not at every look
            if isinstance(exc, Error):
                raise
            raise WALLET_STORE_WRITE_FAILED(
                f"cannot write {self.path} again: {exc.strerror}"
            ) from exc
        self.seen, self.data = identity(self.path), kept
        how = f"changed from outside (kept as {aside.name})" if aside else "removed"
        return WALLET_CHECKPOINT_PUT_BACK(
            f"{self.path} was {how} while the wallet was open; it was written again with the "
            "checkpoint the wallet trusts"
        )


def read(path: Path) -> bytes | None:
    """The file's bytes; None for no file, a directory or link, or one larger than a
    checkpoint is (none of them the note the client wrote)."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as file:
            data = file.read(MAX_TRUST_FILE_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_TRUST_FILE_BYTES else None
