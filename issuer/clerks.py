"""Clerks' API keys: shown once when made, stored only as Argon2id hashes, each with scopes.

A key reads ``cik_<clerk id>_<secret>``: the id finds the one hash to check. Argon2 is slow by
design (that is what makes a stolen hash hard to reverse), so a key that verified is
remembered, by its SHA-256, for a short while: staff calls do not pay Argon2 every time.
A remembered key still costs one read of its clerk's row, so a clerk removed from the store
(``remove-clerk``, from another process too) is locked out at its next call. A clerk's offer
reads the row in the offer's own write instead (``ClerkHolds``), and before any refusal.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from civicid.times import Clock
from issuer.errors import (
    CLERK_INVALID,
    STAFF_KEY_CHECKS_BUSY,
    STAFF_KEY_INVALID,
    STAFF_KEY_MISSING,
)
from issuer.records import SCOPES, Clerk
from issuer.store import IssuerStore

KEY_PREFIX: Final = "cik_"
KEY_PATTERN: Final = re.compile(r"^cik_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$")
NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$")
# A verified key is spared Argon2 this long (its clerk's row is read on every call all the
# same: removal and scope changes count at once).
VERIFIED_KEY_TTL: Final = 300
MAX_VERIFIED_KEYS: Final = 1024
# API keys whose Argon2 check runs or waits, one at a time: a few first calls at once are
# served in turn; past this, a flood of keys (forged, or a known clerk id with wrong secrets)
# is refused at once, so that it holds no more than this of the threads every staff call
# shares, and a clerk whose key was verified lately is answered without waiting behind it.
MAX_KEY_CHECKS: Final = 4
KEY_CHECKS_RETRY_SECONDS: Final = 1


@dataclass(frozen=True, slots=True)
class NewClerk:
    clerk: Clerk
    api_key: str  # shown once; never stored


def make_clerk(
    name: str, scopes: list[str], now: int, *, hasher: PasswordHasher | None = None
) -> NewClerk:
    """A clerk and a fresh key. ``hasher`` defaults to argon2-cffi's RFC 9106 profile;
    checking a key costs what its hash's parameters say (tests pass a cheaper one)."""
    if not NAME_PATTERN.fullmatch(name):
        raise CLERK_INVALID("a clerk name is 1-64 letters, digits, spaces or ._@-")
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        raise CLERK_INVALID(f"scopes are one or more of {', '.join(SCOPES)}; not {unknown}")
    clerk_id = secrets.token_hex(8)
    api_key = f"{KEY_PREFIX}{clerk_id}_{secrets.token_urlsafe(32)}"
    key_hash = (hasher or PasswordHasher()).hash(api_key)
    ordered = tuple(s for s in SCOPES if s in scopes)
    return NewClerk(Clerk(clerk_id, name, ordered, key_hash, now), api_key)


class Keyring:
    """Checks API keys against the store, remembering recent successes."""

    def __init__(self, store: IssuerStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._verified: dict[bytes, tuple[Clerk, int]] = {}
        self._lock = threading.Lock()
        self._slow = threading.Lock()
        self._checks = 0  # keys in Argon2, or waiting for it (``MAX_KEY_CHECKS``)

    def _remembered(self, digest: bytes, now: int) -> Clerk | None:
        """The clerk of a key verified a short while ago, as the store holds it now; None if
        not remembered, or if the clerk was removed (or its key replaced) since."""
        with self._lock:
            known = self._verified.get(digest)
        if known is None or now - known[1] >= VERIFIED_KEY_TTL:
            return None
        current = self.store.clerk(known[0].id)
        if current is None or current.key_hash != known[0].key_hash:
            with self._lock:
                self._verified.pop(digest, None)
            return None
        return current

    def cached(self, api_key: str | None) -> Clerk | None:
        """The clerk for a key verified a short while ago, without Argon2; else None."""
        if not api_key:
            return None
        digest = hashlib.sha256(api_key.encode("utf-8", "replace")).digest()
        return self._remembered(digest, self.clock())

    def unread(self, api_key: str | None) -> Clerk | None:
        """As ``cached``, the clerk as its key was verified, its row not read: only for a call
        whose write reads the row in its own transaction (``ClerkHolds``), and whose every
        refusal asks ``holds`` first."""
        if not api_key:
            return None
        digest = hashlib.sha256(api_key.encode("utf-8", "replace")).digest()
        with self._lock:
            known = self._verified.get(digest)
        if known is None or self.clock() - known[1] >= VERIFIED_KEY_TTL:
            return None
        return known[0]

    def holds(self, clerk: Clerk) -> bool:
        """Whether the store's row of ``clerk`` is still this one; if not, every key of it is
        forgotten (it is verified anew, and refused, at its next call)."""
        if self.store.clerk(clerk.id) == clerk:
            return True
        with self._lock:
            for digest, (known, _) in list(self._verified.items()):
                if known.id == clerk.id:
                    del self._verified[digest]
        return False

    def authenticate(self, api_key: str | None) -> Clerk:
        if not api_key:
            raise STAFF_KEY_MISSING("send the clerk's API key as `Authorization: Bearer <key>`")
        digest = hashlib.sha256(api_key.encode("utf-8", "replace")).digest()
        now = self.clock()
        remembered = self._remembered(digest, now)
        if remembered is not None:
            return remembered
        match = KEY_PATTERN.fullmatch(api_key)
        clerk = self.store.clerk(match.group(1)) if match else None
        if clerk is None:
            raise STAFF_KEY_INVALID("the API key does not belong to any clerk")
        # One Argon2 check at a time (each takes 64 MiB): a burst of first calls queues here
        # instead of exhausting memory, the first success serving all; a longer queue is
        # refused (``MAX_KEY_CHECKS``).
        with self._lock:
            if self._checks >= MAX_KEY_CHECKS:
                raise STAFF_KEY_CHECKS_BUSY(
                    f"{MAX_KEY_CHECKS} API keys wait for their check, the most the issuer "
                    f"queues; try again in {KEY_CHECKS_RETRY_SECONDS} s",
                    retry_after=KEY_CHECKS_RETRY_SECONDS,
                )
            self._checks += 1
        try:
            with self._slow:
                if self.cached(api_key) is None and not _verify(clerk.key_hash, api_key):
                    raise STAFF_KEY_INVALID("the API key does not belong to any clerk")
        finally:
            with self._lock:
                self._checks -= 1
        with self._lock:
            if len(self._verified) >= MAX_VERIFIED_KEYS:
                self._verified.clear()
            self._verified[digest] = (clerk, now)
        return clerk


def _verify(key_hash: str, api_key: str) -> bool:
    try:
        return bool(PasswordHasher().verify(key_hash, api_key))
    except (VerificationError, InvalidHashError):
        return False
