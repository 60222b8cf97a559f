"""Backups: the whole wallet in one sealed file, under the wallet's passphrase or its own.

A backup is the same sealed format as the store (``vault``) with kind ``backup``, so it is
as safe to keep on a USB stick or a cloud drive as the wallet itself, and restores on any
machine that knows its passphrase. Its contents are checked record by record before a
restore writes anything.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Final

from civicid.errors import Error
from civicid.files import kind_of, read_bounded
from civicid.times import rfc3339
from wallet.errors import (
    WALLET_BACKUP_INVALID,
    WALLET_BACKUP_PASSPHRASE_WRONG,
    WALLET_BACKUP_TARGET_TAKEN,
)
from wallet.holder.credentials import Credential
from wallet.holder.history import Presentation
from wallet.holder.store import MAX_STORE_BYTES, Document, encode_document
from wallet.holder.vault import (
    MAX_HEADER_BYTES,
    Header,
    KdfParams,
    SealKey,
    check_strength,
    seal,
    unseal,
    write_sealed,
)

KIND: Final = "backup"
TABLES: Final = ("credentials", "history", "meta")


def write_backup(
    path: Path, document: Document, passphrase: str, *, now: int, kdf: KdfParams | None = None
) -> int:
    """Seal ``document`` into ``path`` (atomically); the number of bytes written. Only a
    new file or an older backup is replaced (``check_target``)."""
    check_target(path)
    check_strength(passphrase)
    body = {"made_at": rfc3339(now), "tables": document}
    data = seal(
        json.dumps(body).encode("utf-8"), SealKey.derive(passphrase, kdf or KdfParams()), KIND
    )
    write_sealed(path, data)
    return len(data)


def check_target(path: Path) -> None:
    """Refuse ``path`` unless it is free or holds an older backup: the backup is renamed over
    it, so a mistyped path would silently replace the wallet's own store, a signing key, any
    document, or (as root) a device node (``wallet_backup_target_taken``)."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WALLET_BACKUP_TARGET_TAKEN(f"cannot check {path}: {exc.strerror}") from exc
    fix = "a backup replaces only an older backup: choose another file name"
    if stat.S_ISLNK(status.st_mode):
        raise WALLET_BACKUP_TARGET_TAKEN(f"{path} is a symbolic link; {fix}")
    if not stat.S_ISREG(status.st_mode):
        raise WALLET_BACKUP_TARGET_TAKEN(f"{path} is {kind_of(status.st_mode)}; {fix}")
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_HEADER_BYTES + 1)
    except OSError as exc:
        raise WALLET_BACKUP_TARGET_TAKEN(f"cannot read {path}: {exc.strerror}; {fix}") from exc
    line, newline, _ = head.partition(b"\n")
    try:
        if not newline:
            raise WALLET_BACKUP_TARGET_TAKEN()
        Header.parse(line, KIND, WALLET_BACKUP_TARGET_TAKEN)
    except Error as exc:
        taken = f"{path} exists and is not a wallet backup; {fix}"
        raise WALLET_BACKUP_TARGET_TAKEN(taken) from exc


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
