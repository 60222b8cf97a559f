"""A local key store: one JSON file per key, directory 0700, files 0600, written atomically.

Like ssh, it refuses a key file or a key directory that group or others may read or write:
a secret others could have read is not one to sign with, and one others could have written
is not the operator's. The message names the ``chmod`` that makes it private again.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Final

from civicid.errors import (
    Conflict,
    Error,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    declare,
)
from civicid.files import listed, naming, open_regular
from civicid.identity import IDENTITY_DOCUMENT_MISMATCH, Identity

NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Permission bits that let anyone but the owner read, write or enter (ssh's own rule).
NOT_OWNER_BITS: Final = 0o077
DIRECTORY_MODE: Final = 0o700
FILE_MODE: Final = 0o600
# A key file is a JWK or two and a DID document: far below this; more is not a key file.
MAX_KEY_FILE_BYTES: Final = 1024 * 1024
# The member every signing key for notes has (the checkpoint key, a witness's cosigner
# key): a key file holding it and no DID is another kind of secret, not a damaged identity.
NOTE_KEY_MEMBER: Final = "seed"

KEY_NAME_INVALID = declare(
    "key_name_invalid", InvalidInput, "a key name is lower-case letters, digits, '.', '_', '-'"
)
KEY_EXISTS = declare("key_exists", Conflict, "a key of that name already exists")
KEY_NOT_FOUND = declare("key_not_found", NotFound, "no key of that name in the key store")
KEY_UNREADABLE = declare("key_unreadable", StorageError, "a key file cannot be read")
KEY_FILE_INVALID = declare(
    "key_file_invalid", InvalidInput, "a key file does not hold the key it should"
)
KEY_PERMISSIONS_OPEN = declare(
    "key_permissions_open",
    Refused,
    "a key file or the key directory is open to group or others (chmod it)",
)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` so that a crash leaves the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A temporary file of this writer's own: threads of a process, or the processes sharing a
    # data directory, may write the same file at once (a ledger client's trusted checkpoint).
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:  # a short write (a disk filling up) is not the whole file
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:  # a write on a descriptor names no file: say which (a full disk)
        tmp.unlink(missing_ok=True)
        raise naming(exc, path) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def check_private(path: Path, status: os.stat_result) -> None:
    """Refuse ``path`` if group or others may read, write or enter it (``key_permissions_open``)."""
    mode = stat.S_IMODE(status.st_mode)
    if mode & NOT_OWNER_BITS:
        wanted = DIRECTORY_MODE if stat.S_ISDIR(status.st_mode) else FILE_MODE
        raise KEY_PERMISSIONS_OPEN(
            f"{path} is open to group or others (mode {mode:04o}); keys are private to "
            f"their owner: run `chmod {wanted:o} {path}`"
        )


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
        if self.directory.exists():
            # Never add a secret to a directory others could already read or write.
            self.check_directory()
        self.directory.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
        write_private(path, json.dumps(value, indent=2).encode("utf-8"))
        # Made 0700 and 0600 above; check it is so (a file system may not keep the modes).
        self.check_directory()
        check_private(path, path.stat())
        return path

    def check_directory(self) -> None:
        try:
            status = self.directory.stat()
        except OSError as exc:
            why = exc.strerror or exc  # its wording names the directory again
            raise KEY_UNREADABLE(f"the key store {self.directory} cannot be read: {why}") from exc
        check_private(self.directory, status)

    def get(self, name: str) -> dict[str, Any]:
        """The JSON object in key file ``name``, from a private directory and a private file."""
        path = self._path(name)
        if not path.exists():
            raise KEY_NOT_FOUND(f"no key {name!r} in {self.directory}")
        self.check_directory()
        try:
            # Never a named pipe (it would block for ever) nor a directory (a chmod would not
            # make it a key file): one line naming it.
            fd = open_regular(path, os.O_RDONLY, KEY_FILE_INVALID)
        except FileNotFoundError as exc:
            raise KEY_NOT_FOUND(f"no key {name!r} in {self.directory}") from exc
        except OSError as exc:
            raise KEY_UNREADABLE(f"key {name!r} cannot be read: {exc}") from exc
        try:
            check_private(path, os.fstat(fd))
            raw = os.read(fd, MAX_KEY_FILE_BYTES + 1)
        except OSError as exc:
            raise KEY_UNREADABLE(f"key {name!r} cannot be read: {exc}") from exc
        finally:
            os.close(fd)
        if len(raw) > MAX_KEY_FILE_BYTES:
            raise KEY_FILE_INVALID(f"key file {path} is larger than any key file")
        try:
            value = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise KEY_FILE_INVALID(
                f"key file {path} is not JSON (damaged?); restore it from a backup"
            ) from exc
        if not isinstance(value, dict):
            raise KEY_FILE_INVALID(f"key file {path} does not hold a JSON object")
        return value

    def text(self, name: str, member: str) -> str:
        """A string member of key file ``name`` (a checkpoint key's ``vkey``, ``seed``)."""
        value = self.get(name).get(member)
        if not isinstance(value, str) or not value:
            raise KEY_FILE_INVALID(
                f"key file {self._path(name)} has no {member!r} string; restore it from a backup"
            )
        return value

    def identity(self, name: str) -> Identity:
        """The identity (DID, private controller key, document) kept as ``name``."""
        data = self.get(name)
        try:
            return Identity.from_json(data)
        except Error as exc:
            if IDENTITY_DOCUMENT_MISMATCH.matches(exc):
                raise IDENTITY_DOCUMENT_MISMATCH(
                    f"key file {self._path(name)}: {exc.message}; restore it from a backup"
                ) from exc
            raise KEY_FILE_INVALID(
                f"key file {self._path(name)} is not a private identity: {exc.message}"
            ) from exc

    def remove(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def identities(self) -> list[tuple[str, str | None, Error | None]]:
        """(name, DID, None) of every identity kept here, by name, and (name, None, error)
        of every key file that cannot be read: a damaged key is shown, never passed over.
        Secrets that are not identities (the checkpoint key, pre-rotation keys) are left out."""
        found: list[tuple[str, str | None, Error | None]] = []
        if not self.directory.exists():
            return found
        self.check_directory()
        for path in listed(
            self.directory, "*.json", unreadable=KEY_UNREADABLE, what="the key store"
        ):
            name = path.stem
            if not NAME_PATTERN.fullmatch(name) or name.endswith(".next"):
                continue
            try:
                stored = self.get(name)
                if "did" not in stored and NOTE_KEY_MEMBER in stored:
                    continue  # another kind of secret: a checkpoint or cosigner key
                if "did" not in stored:
                    # ``{}`` (a file emptied by a failed restore, a hand edit) is no key of
                    # any kind: shown as damaged, not passed over as another kind of secret.
                    raise KEY_FILE_INVALID(
                        f"key file {self._path(name)} holds no identity and no other key;"
                        " restore it from a backup"
                    )
                found.append((name, str(self.identity(name).did), None))
            except Error as exc:
                if KEY_PERMISSIONS_OPEN.matches(exc):
                    raise
                found.append((name, None, exc))
        return found

    def did_of(self, name_or_did: str) -> str:
        """A DID as given, or the DID of the local identity of that name."""
        if name_or_did.startswith("did:"):
            return name_or_did
        did = self.get(name_or_did).get("did")
        if not isinstance(did, str):
            raise KEY_NOT_FOUND(f"{name_or_did!r} is not an identity with a DID")
        return did
