"""A local key store: one JSON file per key, directory 0700, files 0600, written atomically."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Final

from civicid.errors import Conflict, Error, InvalidInput, NotFound, StorageError, declare

NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

KEY_NAME_INVALID = declare(
    "key_name_invalid", InvalidInput, "a key name is lower-case letters, digits, '.', '_', '-'"
)
KEY_EXISTS = declare("key_exists", Conflict, "a key of that name already exists")
KEY_NOT_FOUND = declare("key_not_found", NotFound, "no key of that name in the key store")
KEY_UNREADABLE = declare("key_unreadable", StorageError, "a key file cannot be read")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` so that a crash leaves the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class KeyStore:
    """Named secrets (private JWKs with their DID and key id, note seeds) for one data dir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        if not NAME_PATTERN.fullmatch(name):
            raise KEY_NAME_INVALID(f"bad key name {name!r}")
        return self.directory / f"{name}.json"

    def put(self, name: str, value: dict[str, Any], *, overwrite: bool = False) -> Path:
        path = self._path(name)
        if path.exists() and not overwrite:
            raise KEY_EXISTS(f"key {name!r} already exists in {self.directory}")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        write_private(path, json.dumps(value, indent=2).encode("utf-8"))
        return path

    def get(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise KEY_NOT_FOUND(f"no key {name!r} in {self.directory}") from exc
        except (OSError, ValueError) as exc:
            raise KEY_UNREADABLE(f"key {name!r} cannot be read: {exc}") from exc
        if not isinstance(value, dict):
            raise KEY_UNREADABLE(f"key {name!r} is not a JSON object")
        return value

    def remove(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def identities(self) -> list[tuple[str, str]]:
        """(name, DID) of every identity kept here, by name; other secrets are skipped."""
        found = []
        for path in sorted(self.directory.glob("*.json")) if self.directory.exists() else []:
            name = path.stem
            if not NAME_PATTERN.fullmatch(name) or name.endswith(".next"):
                continue
            try:
                did = self.get(name).get("did")
            except Error:
                continue
            if isinstance(did, str):
                found.append((name, did))
        return found

    def did_of(self, name_or_did: str) -> str:
        """A DID as given, or the DID of the local identity of that name."""
        if name_or_did.startswith("did:"):
            return name_or_did
        did = self.get(name_or_did).get("did")
        if not isinstance(did, str):
            raise KEY_NOT_FOUND(f"{name_or_did!r} is not an identity with a DID")
        return did
