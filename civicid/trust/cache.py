"""The one memory of proven ledger answers a client keeps: bounded, and aware of time.

Online, an answer is reused while it is younger than the caller's maximum age of ledger data,
then asked again. Offline (``as_of`` set: answers replayed from a snapshot taken then), every
answer is as old as the snapshot; once that is past the maximum age it is refused
(``snapshot_stale``), never refreshed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from civicid.errors import NotFound, Refused, declare

T = TypeVar("T")

# A client relies on a few hundred issuers, desks, types and lists; past this the memory
# starts over rather than grow without bound on a flood of unknown names (each answer is
# proven again on its next use: nothing is lost but time).
MAX_ANSWERS: Final = 4096

SNAPSHOT_STALE = declare("snapshot_stale", Refused, "the snapshot is older than the policy allows")
SNAPSHOT_INCOMPLETE = declare(
    "snapshot_incomplete", NotFound, "the snapshot lacks ledger data this check needs"
)


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A proven answer and when the ledger gave it (the snapshot's time, offline)."""

    value: T
    at: int


class AnswerCache:
    def __init__(self, *, as_of: int | None = None, limit: int = MAX_ANSWERS) -> None:
        self.as_of = as_of
        self.limit = limit
        self._lock = threading.Lock()
        self._answers: dict[Hashable, Fetched[Any]] = {}

    def require_fresh(self, now: int, max_age: int) -> None:
        """Offline: refuse once the snapshot is older than ``max_age`` (an age of exactly
        ``max_age`` still stands)."""
        if self.as_of is not None and now - self.as_of > max_age:
            raise SNAPSHOT_STALE(
                f"the snapshot is {now - self.as_of}s old; the policy allows {max_age}s: "
                "run civicid verifier sync",
                age=now - self.as_of,
            )

    def remembered(self, key: Hashable, *, now: int, max_age: int) -> Fetched[Any] | None:
        """The answer ``get`` would give for ``key`` without fetching, or None: a read of the
        memory alone, which waits for no fetch under way (offline, ``snapshot_stale`` first).
        The memory's dict is only ever read or written whole-entry at a time, so a read needs
        no lock; a miss goes to ``get``, which takes it."""
        as_of = self.as_of
        if as_of is not None:
            self.require_fresh(now, max_age)
            return self._answers.get(key)
        hit = self._answers.get(key)
        return hit if hit is not None and now - hit.at < max_age else None

    def get(self, key: Hashable, fetch: Callable[[], T], *, now: int, max_age: int) -> Fetched[T]:
        """The answer for ``key``: remembered while younger than ``max_age`` seconds (0: asked
        anew each time online), else ``fetch()``-ed, proven by it, and remembered."""
        hit = self.remembered(key, now=now, max_age=max_age)
        if hit is not None:  # the usual case, read without the lock
            return hit
        with self._lock:  # one fetch per question at a time, however many ask it at once
            hit = self._answers.get(key)
            if hit is not None and (self.as_of is not None or now - hit.at < max_age):
                return hit
            fetched: Fetched[T] = Fetched(fetch(), now if self.as_of is None else self.as_of)
            if len(self._answers) >= self.limit:
                self._answers.clear()
            self._answers[key] = fetched
            return fetched

    def forget(self) -> None:
        """Drop every answer: each is asked anew on its next use."""
        with self._lock:
            self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)


__all__ = ["MAX_ANSWERS", "SNAPSHOT_INCOMPLETE", "SNAPSHOT_STALE", "AnswerCache", "Fetched"]
