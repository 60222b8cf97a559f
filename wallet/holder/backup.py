"""Backups: the whole wallet in one sealed file, under the wallet's passphrase or its own.

A backup is the same sealed format as the store (``vault``) with kind ``backup``, so it is
as safe to keep on a USB stick or a cloud drive as the wallet itself, and restores on any
machine that knows its passphrase. Its contents are checked record by record before a
restore writes anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from civicid.errors import Error
from civicid.files import read_bounded
from civicid.times import rfc3339
from wallet.errors import WALLET_BACKUP_INVALID, WALLET_BACKUP_PASSPHRASE_WRONG
from wallet.holder.credentials import Credential
from wallet.holder.history import Presentation
from wallet.holder.store import MAX_STORE_BYTES, Document, encode_document
from wallet.holder.vault import KdfParams, SealKey, check_strength, seal, unseal, write_sealed

KIND: Final = "backup"
TABLES: Final = ("credentials", "history", "meta")


def write_backup(
    path: Path, document: Document, passphrase: str, *, now: int, kdf: KdfParams | None = None
) -> int:
    """Seal ``document`` into ``path`` (atomically); the number of bytes written."""
    check_strength(passphrase)
    body = {"made_at": rfc3339(now), "tables": document}
    data = seal(
        json.dumps(body).encode("utf-8"), SealKey.derive(passphrase, kdf or KdfParams()), KIND
    )
    write_sealed(path, data)
    return len(data)


def read_backup(path: Path, passphrase: str) -> Document:
    """Open and check a backup: a wrong passphrase, altered bytes or a record we cannot
    read each raise before anything is restored."""
    data = read_bounded(
        path,
        MAX_STORE_BYTES,
        too_large=WALLET_BACKUP_INVALID,
        message=f"{path} is larger than any backup",
        unreadable=WALLET_BACKUP_INVALID,
    )
    plaintext, _ = unseal(
        data,
        passphrase,
        kind=KIND,
        corrupt=WALLET_BACKUP_INVALID,
        wrong=WALLET_BACKUP_PASSPHRASE_WRONG,
    )
    try:
        body = json.loads(plaintext)
        tables = body["tables"]
        if not isinstance(tables, dict) or set(tables) - set(TABLES):
            raise ValueError("unknown tables")
        document: Document = {name: dict(tables.get(name, {})) for name in TABLES}
        check_records(document)
    except (ValueError, KeyError, TypeError) as exc:
        raise WALLET_BACKUP_INVALID(f"{path} does not hold a wallet: {exc}") from exc
    except Error as exc:
        raise WALLET_BACKUP_INVALID(f"{path}: {exc.message}") from exc
    return json.loads(encode_document(document))  # type: ignore[no-any-return]


def check_records(document: dict[str, dict[str, Any]]) -> None:
    for record in document.get("credentials", {}).values():
        Credential.from_json(record)
    for record in document.get("history", {}).values():
        Presentation.from_json(record)
