"""Counts over time for the transparency page, kept as the log grows: each status list
version is taken in once, in log order, so a page costs what is new since the last one, not
a replay of the log.

A status list says how many places it has and which of them are revoked or suspended; which
places hold a credential it does not say (herd privacy, Token Status List §12.5). So the
counts are per agency, the owner of its lists: places published, revoked, suspended.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from civicid.did import DID
from civicid.entitlements import parse_redeem
from civicid.transaction import Transaction
from ledger.errors import LEDGER_NOT_INITIALIZED
from ledger.issuance import REDEMPTIONS
from ledger.state import ListVersion, State

# Where an agency's counts are read for a chart: a person reads a trend from this many
# steps, and the cost of a page does not depend on how many publishes there were.
CHART_STEPS: Final = 48


@dataclass(frozen=True, slots=True)
class Counts:
    lists: int = 0
    places: int = 0
    revoked: int = 0
    suspended: int = 0

    def as_map(self) -> dict[str, int]:
        return {
            "lists": self.lists,
            "places": self.places,
            "revoked": self.revoked,
            "suspended": self.suspended,
        }

    def plus(self, other: Counts, sign: int = 1) -> Counts:
        return Counts(
            self.lists + sign * other.lists,
            self.places + sign * other.places,
            self.revoked + sign * other.revoked,
            self.suspended + sign * other.suspended,
        )


@dataclass(slots=True)
class Series:
    """One agency's counts after each publish of one of its lists, in log order. Times are
    the publishers' signed ``iat``s, never going back (an ``iat`` may lag the one before it
    by the clock skew the ledger allows)."""

    times: array[int] = field(default_factory=lambda: array("q"))
    lists: array[int] = field(default_factory=lambda: array("q"))
    places: array[int] = field(default_factory=lambda: array("q"))
    revoked: array[int] = field(default_factory=lambda: array("q"))
    suspended: array[int] = field(default_factory=lambda: array("q"))

    def add(self, time: int, lists: int, places: int, revoked: int, suspended: int) -> None:
        self.times.append(max(time, self.times[-1]) if self.times else time)
        self.lists.append(lists)
        self.places.append(places)
        self.revoked.append(revoked)
        self.suspended.append(suspended)

    @property
    def latest(self) -> Counts:
        if not self.times:
            return Counts()
        return Counts(self.lists[-1], self.places[-1], self.revoked[-1], self.suspended[-1])

    def at(self, time: int) -> Counts:
        """The counts as they stood at ``time`` (nothing before the first publish)."""
        index = bisect.bisect_right(self.times, time) - 1
        if index < 0:
            return Counts()
        return Counts(
            self.lists[index], self.places[index], self.revoked[index], self.suspended[index]
        )

    def sampled(self, end: int, steps: int = CHART_STEPS) -> list[tuple[int, dict[str, int]]]:
        """The counts at ``steps + 1`` evenly spaced times from the first publish to ``end``."""
        return [(t, self.at(t).as_map()) for t in spaced(self.times, end, steps)]


def spaced(times: Sequence[int], end: int, steps: int) -> Sequence[int]:
    """``steps + 1`` evenly spaced times from the first of ``times`` to ``end`` (or later)."""
    if not times:
        return []
    start = times[0]
    end = max(end, times[-1], start + 1)
    return [start + (end - start) * i // steps for i in range(steps + 1)]


@dataclass(slots=True)
class Redeemed:
    """One distribution point's redemptions, counted after each, in log order."""

    times: array[int] = field(default_factory=lambda: array("q"))
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.times)

    def add(self, time: int, vct: str) -> None:
        self.times.append(max(time, self.times[-1]) if self.times else time)
        self.by_type[vct] = self.by_type.get(vct, 0) + 1

    def sampled(self, end: int, steps: int = CHART_STEPS) -> list[tuple[int, dict[str, int]]]:
        return [
            (t, {"redeemed": bisect.bisect_right(self.times, t)})
            for t in spaced(self.times, end, steps)
        ]


class Tally:
    """Every agency's ``Series``, advanced to a tree size on demand. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.size = 0  # entries of the log taken in
        self._seen: dict[str, int] = {}  # versions taken in, per list URI
        # per list URI: (places, revoked, suspended) of its latest version taken in
        self._latest: dict[str, tuple[int, int, int]] = {}
        self.series: dict[DID, Series] = {}
        self.all = Series()  # every agency together
        self._redeemed_seen: dict[str, int] = {}  # redemptions taken in, per list URI
        self.redeemed: dict[str, Redeemed] = {}  # per desk (distribution point)

    def advance(self, state: State, size: int) -> None:
        """Take in the list versions logged in ``[self.size, size)``: a look at each list,
        and the work of what is new."""
        with self._lock:
            if size <= self.size:
                return
            new: list[tuple[int, str, ListVersion]] = []
            # A copy: the committer may add a list meanwhile (entries past ``size``, unread).
            for uri, versions in list(state.status_lists.items()):
                taken = self._seen.get(uri, 0)
                end = len(versions)
                while taken < end and versions[taken].seq < size:
                    new.append((versions[taken].seq, uri, versions[taken]))
                    taken += 1
                self._seen[uri] = taken
            new.sort(key=lambda item: item[0])
            for _, uri, version in new:
                self._take(uri, version)
            self._redemptions(state, size)
            self.size = size

    def _redemptions(self, state: State, size: int) -> None:
        """Each redemption logged before ``size`` once: its entry is read for the desk that
        logged it, the type and the time (the state keeps the list's index only)."""
        held = state.extensions.get(REDEMPTIONS, {})
        new: list[int] = []
        for uri, found in list(held.items()):
            entries = found["entries"]
            taken, end = self._redeemed_seen.get(uri, 0), len(entries)
            while taken < end and entries[taken][1] < size:
                new.append(entries[taken][1])
                taken += 1
            self._redeemed_seen[uri] = taken
        if new and state.reader is None:
            raise LEDGER_NOT_INITIALIZED("no log to read redemptions from")
        for seq in sorted(new):
            assert state.reader is not None
            entry = Transaction.parse(state.reader(seq))
            _, _, vct, _ = parse_redeem(entry.body)
            self.redeemed.setdefault(entry.signer, Redeemed()).add(entry.iat, vct)

    def _take(self, uri: str, version: ListVersion) -> None:
        # Plain ints, not Counts: a start-up takes in every version of every list at once.
        places, revoked, suspended = version.entries, version.revoked, version.suspended
        before = self._latest.get(uri)
        if before is None:
            change = (1, places, revoked, suspended)
        else:
            change = (0, places - before[0], revoked - before[1], suspended - before[2])
        self._latest[uri] = (places, revoked, suspended)
        for series in (self.series.setdefault(version.owner, Series()), self.all):
            if series.times:
                series.add(
                    version.time,
                    series.lists[-1] + change[0],
                    series.places[-1] + change[1],
                    series.revoked[-1] + change[2],
                    series.suspended[-1] + change[3],
                )
            else:
                series.add(version.time, *change)
