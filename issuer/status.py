"""The agency's status lists (IETF Token Status List, 2 bits: valid / revoked / suspended):
index allocation at random among the unused indexes of the current list (herd privacy,
§12.5), a new list once one is 80% used, and which lists are due for publication.

Indexes are only ever handed out from the highest-numbered list: a list below it is closed
for good. Recovery (issuer/recovery.py) relies on this to keep every index of the lists it
rebuilds from the ledger out of use.

Not thread-safe on its own: the issuer calls it under its state lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

from civicid.jose import PrivateKey
from civicid.status_list import IndexAllocator, StatusList, build_token, parse_token
from issuer.records import ListRecord

BITS: Final = 2  # §4.1: 0 valid, 1 invalid (revoked), 2 suspended
# Past this share of indexes in use, new credentials go to a fresh list: the rest of the
# old one stays unallocated, so a late credential still hides among many (§12.5).
ROLLOVER: Final = 0.8


def list_uri(base_url: str, number: int) -> str:
    """The URI of the agency's list ``number``, under its public URL."""
    return f"{base_url}/status/{number}"


@dataclass
class ListState:
    record: ListRecord
    allocator: IndexAllocator
    bits: StatusList
    version: int = 1  # bumped on every status change
    published_version: int = 0

    @property
    def full(self) -> bool:
        return self.allocator.allocated >= ROLLOVER * self.record.size


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A list as it stood when a publication began."""

    number: int
    uri: str
    version: int
    status_list: StatusList


@dataclass
class StatusLists:
    base_url: str
    size: int
    lists: dict[int, ListState] = field(default_factory=dict)

    def uri(self, number: int) -> str:
        return list_uri(self.base_url, number)

    def load(self, record: ListRecord, slots: list[tuple[int, int]]) -> None:
        """Rebuild a list from the store: the list as last published, then every issued
        index and its status (newer than the token when a change is pending). A list
        recovered from the ledger holds statuses no issued credential in the store accounts
        for: they come from its token alone, and are never reset."""
        allocator = IndexAllocator(record.size, (idx for idx, _ in slots))
        bits = StatusList(record.size, record.bits)
        if record.token is not None:
            published = parse_token(record.token).status_list.to_bytes()
            if len(published) == len(bits.to_bytes()):
                bits = StatusList.from_bytes(published, record.bits)
        for idx, status in slots:
            bits.set(idx, status)
        state = ListState(record, allocator, bits)
        # A change not yet published when the process stopped is published now.
        state.published_version = 0 if record.pending else state.version
        self.lists[record.number] = state

    @property
    def current(self) -> ListState | None:
        return self.lists[max(self.lists)] if self.lists else None

    def new_list(self, now: int) -> ListRecord:
        number = max(self.lists, default=0) + 1
        record = ListRecord(number, self.uri(number), self.size, BITS, now)
        self.lists[number] = ListState(
            record, IndexAllocator(self.size), StatusList(self.size, BITS)
        )
        return record

    def allocate(self, count: int, now: int) -> tuple[list[tuple[int, int]], list[ListRecord]]:
        """``count`` fresh (list, index) slots, and any lists created to hold them."""
        created: list[ListRecord] = []
        slots: list[tuple[int, int]] = []
        for _ in range(count):
            current = self.current
            if current is None or current.full:
                created.append(self.new_list(now))
                current = self.current
                assert current is not None
            slots.append((current.record.number, current.allocator.allocate()))
        return slots, created

    def set(self, slots: tuple[tuple[int, int], ...], status: int) -> list[ListRecord]:
        """Set the status of every slot; the lists newly marked pending (to be stored)."""
        marked = []
        for number, idx in slots:
            state = self.lists[number]
            state.bits.set(idx, status)
            state.version += 1
            if not state.record.pending:
                state.record = replace(state.record, pending=True)
                marked.append(state.record)
        return marked

    def due(self, now: int, ttl: int) -> list[Snapshot]:
        """Lists with changes not yet on the ledger, never published, or whose last token is
        half way to its ttl (republished unchanged so verifiers never hold a stale one)."""
        out = []
        for state in self.lists.values():
            published = state.record.published_at
            if (
                state.version > state.published_version
                or published is None
                or now - published >= ttl // 2
            ):
                copy = StatusList.from_bytes(state.bits.to_bytes(), BITS)
                out.append(Snapshot(state.record.number, state.record.uri, state.version, copy))
        return out

    def published(self, snapshot: Snapshot, *, now: int, seq: int, token: str) -> ListRecord:
        """Record a publication; the list stays pending if it changed since the snapshot."""
        state = self.lists[snapshot.number]
        state.published_version = max(state.published_version, snapshot.version)
        state.record = replace(
            state.record,
            published_at=now,
            published_seq=seq,
            token=token,
            pending=state.version > state.published_version,
        )
        return state.record

    def pending(self) -> int:
        """Lists whose latest change is not yet on the ledger."""
        return sum(1 for s in self.lists.values() if s.version > s.published_version)


def sign_list(snapshot: Snapshot, *, key: PrivateKey, kid: str, now: int, ttl: int) -> str:
    """The §5.1 Status List Token: ``sub`` is the list's URI (pitfall 10), valid for two ttl
    periods so a verifier's cached token outlives one missed publication."""
    return build_token(
        key=key,
        kid=kid,
        sub=snapshot.uri,
        status_list=snapshot.status_list,
        iat=now,
        exp=now + 2 * ttl,
        ttl=ttl,
    )
