"""The sealed file format of the wallet and its backups: one JSON document encrypted whole.

Layout: a one-line JSON header, a newline, then the AES-256-GCM ciphertext of the document.
The header names the format, its version, the Argon2id parameters with their random salt,
the GCM nonce and a passphrase check value; it is the GCM associated data, so changing any
byte of it (say, weaker KDF parameters) makes the file fail to open.

The key comes from Argon2id (RFC 9106) over the passphrase, NFC-normalised so that the same
passphrase typed on another machine opens a backup. Argon2 yields 64 bytes: the first 32 are
the AES key, a hash of the other 32 is the check value, which tells a wrong passphrase
(check differs) from a damaged file (check matches, GCM tag does not).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicid.encoding import b64url_decode, b64url_encode, parse_json_object
from civicid.errors import Code, Error
from civicid.files import why_not_written
from civicid.keystore import write_private
from wallet.errors import (
    WALLET_PASSPHRASE_WEAK,
    WALLET_PASSPHRASE_WRONG,
    WALLET_STORE_CORRUPT,
    WALLET_STORE_UNSUPPORTED,
    WALLET_STORE_WRITE_FAILED,
)

FORMAT: Final = "civicid-wallet"
VERSION: Final = 1
CIPHER: Final = "A256GCM"
KDF: Final = "argon2id"

# OWASP's minimum for Argon2id (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
# A file asking for less is refused: it was not written by us, or was tampered with.
MIN_MEMORY_KIB: Final = 19 * 1024
MIN_ITERATIONS: Final = 2
# The default costs ~0.1-0.2 s on a laptop core, well inside the 1 s unlock budget.
DEFAULT_MEMORY_KIB: Final = 64 * 1024
DEFAULT_ITERATIONS: Final = 3
# A crafted file must not make us allocate gigabytes or spin for minutes before failing.
MAX_MEMORY_KIB: Final = 1024 * 1024
MAX_ITERATIONS: Final = 16
MAX_PARALLELISM: Final = 8
# The header is a few hundred bytes; anything past this before a newline is not ours.
MAX_HEADER_BYTES: Final = 4096
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12  # GCM's 96-bit nonce (NIST SP 800-38D §8.2.2), random per write
CHECK_BYTES: Final = 16
KEY_BYTES: Final = 32
# Short passphrases fall to a guessing run even through Argon2; 10 characters is the floor.
MIN_PASSPHRASE_CHARS: Final = 10


@dataclass(frozen=True, slots=True)
class KdfParams:
    memory_kib: int = DEFAULT_MEMORY_KIB
    iterations: int = DEFAULT_ITERATIONS
    parallelism: int = 1

    def check(self, corrupt: Code) -> None:
        if not (
            MIN_MEMORY_KIB <= self.memory_kib <= MAX_MEMORY_KIB
            and MIN_ITERATIONS <= self.iterations <= MAX_ITERATIONS
            and 1 <= self.parallelism <= MAX_PARALLELISM
        ):
            raise corrupt(f"key derivation parameters out of bounds: {self}")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": KDF,
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "parallelism": self.parallelism,
        }


MINIMUM_KDF: Final = KdfParams(MIN_MEMORY_KIB, MIN_ITERATIONS, 1)


def normalise(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_strength(passphrase: str) -> None:
    """Refuse a passphrase too short to resist guessing (the TUI shows a hint as one types)."""
    if len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE_CHARS:
        raise WALLET_PASSPHRASE_WEAK(
            f"use at least {MIN_PASSPHRASE_CHARS} characters (several words are easiest)"
        )


def strength_hint(passphrase: str) -> str:
    """A one-line hint for a passphrase being typed: length and variety, not a verdict."""
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_PASSPHRASE_CHARS:
        return f"too short: {len(text)}/{MIN_PASSPHRASE_CHARS} characters"
    words = len(text.split())
    kinds = sum(
        any(test(c) for c in text)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if len(text) >= 20 or words >= 4 or (len(text) >= 14 and kinds >= 3):
        return "strong"
    return "fair: longer is stronger (four random words are easy to remember)"


@dataclass(frozen=True, slots=True)
class SealKey:
    """Key material derived from a passphrase; kept in memory only while unlocked."""

    key: bytes
    salt: bytes
    check: bytes
    kdf: KdfParams

    @classmethod
    def derive(cls, passphrase: str, kdf: KdfParams, salt: bytes | None = None) -> SealKey:
        salt = salt if salt is not None else os.urandom(SALT_BYTES)
        out = hash_secret_raw(
            normalise(passphrase),
            salt,
            time_cost=kdf.iterations,
            memory_cost=kdf.memory_kib,
            parallelism=kdf.parallelism,
            hash_len=2 * KEY_BYTES,
            type=Type.ID,
        )
        check = hashlib.sha256(b"civicid-wallet check\x00" + out[KEY_BYTES:]).digest()
        return cls(out[:KEY_BYTES], salt, check[:CHECK_BYTES], kdf)


@dataclass(frozen=True, slots=True)
class Header:
    kind: str
    kdf: KdfParams
    salt: bytes
    check: bytes
    nonce: bytes

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "kind": self.kind,
            "version": VERSION,
            "cipher": CIPHER,
            "kdf": {**self.kdf.to_json(), "salt": b64url_encode(self.salt)},
            "check": b64url_encode(self.check),
            "nonce": b64url_encode(self.nonce),
        }
        return json.dumps(body, separators=(",", ":")).encode("ascii")

    @classmethod
    def parse(cls, line: bytes, kind: str, corrupt: Code) -> Header:
        try:
            # I-JSON: 1e400, NaN or a name twice is damage, not a number to convert.
            body = parse_json_object(line, code=corrupt)
            if body.get("format") != FORMAT:
                raise corrupt("not a CivicID wallet file")
            if body.get("version") != VERSION:
                raise WALLET_STORE_UNSUPPORTED(
                    f"format version {body.get('version')!r}; this program reads {VERSION}"
                )
            if body.get("kind") != kind:
                raise corrupt(f"this is a {body.get('kind')!r} file, not a {kind!r} file")
            kdf = body["kdf"]
            if body.get("cipher") != CIPHER or kdf.get("name") != KDF:
                raise corrupt("unknown cipher or key derivation")
            params = KdfParams(
                whole(kdf["memory_kib"], corrupt),
                whole(kdf["iterations"], corrupt),
                whole(kdf["parallelism"], corrupt),
            )
            header = cls(
                kind,
                params,
                b64url_decode(str(kdf["salt"]), code=corrupt),
                b64url_decode(str(body["check"]), code=corrupt),
                b64url_decode(str(body["nonce"]), code=corrupt),
            )
        except Error as exc:
            if WALLET_STORE_UNSUPPORTED.matches(exc):
                raise
            raise corrupt(exc.message) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise corrupt("the header is unreadable") from exc
        params.check(corrupt)
        if (len(header.salt), len(header.check), len(header.nonce)) != (
            SALT_BYTES,
            CHECK_BYTES,
            NONCE_BYTES,
        ):
            raise corrupt("salt, check or nonce has the wrong length")
        return header


def whole(value: Any, corrupt: Code) -> int:
    """A key derivation parameter as written: a JSON integer (not true, "65536" or 1.0)."""
    if type(value) is not int:
        raise corrupt("a key derivation parameter is not a whole number")
    return value


def seal(document: bytes, key: SealKey, kind: str) -> bytes:
    """Encrypt ``document`` under ``key`` with a fresh nonce; the header is the AAD."""
    nonce = os.urandom(NONCE_BYTES)
    header = Header(kind, key.kdf, key.salt, key.check, nonce).to_bytes()
    return header + b"\n" + AESGCM(key.key).encrypt(nonce, document, header)


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed file split into its header and ciphertext; nothing decrypted yet."""

    header: Header
    header_bytes: bytes
    ciphertext: bytes

    @classmethod
    def parse(cls, data: bytes, kind: str, corrupt: Code) -> Sealed:
        line, newline, ciphertext = data[: MAX_HEADER_BYTES + 1].partition(b"\n")
        if not newline:
            raise corrupt("the file has no header (it may be truncated)")
        ciphertext = data[len(line) + 1 :]
        header = Header.parse(line, kind, corrupt)
        if len(ciphertext) < 16:  # the GCM tag alone is 16 bytes
            raise corrupt("the file is truncated")
        return cls(header, line, ciphertext)

    def key_for(self, passphrase: str, wrong: Code) -> SealKey:
        key = SealKey.derive(passphrase, self.header.kdf, self.header.salt)
        if not hmac.compare_digest(key.check, self.header.check):
            raise wrong()
        return key

    def open(self, key: SealKey, corrupt: Code) -> bytes:
        try:
            return AESGCM(key.key).decrypt(self.header.nonce, self.ciphertext, self.header_bytes)
        except InvalidTag as exc:
            raise corrupt("the contents do not authenticate: damaged or altered") from exc


def unseal(
    data: bytes,
    passphrase: str,
    *,
    kind: str,
    corrupt: Code = WALLET_STORE_CORRUPT,
    wrong: Code = WALLET_PASSPHRASE_WRONG,
) -> tuple[bytes, SealKey]:
    """Check the header, derive the key, tell a wrong passphrase from damage, decrypt."""
    sealed = Sealed.parse(data, kind, corrupt)
    key = sealed.key_for(passphrase, wrong)
    return sealed.open(key, corrupt), key


def write_sealed(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` (temp file, fsync, rename, fsync the directory)."""
    try:
        write_private(path, data)
    except OSError as exc:
        raise WALLET_STORE_WRITE_FAILED(f"cannot write {path}: {why_not_written(exc)}") from exc
