"""The ledger's current state, derived by replaying the log; rebuilt from it at any time."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from civicid.did import DID, Document
from civicid.errors import Gone, InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class DidVersion:
    """One version of a DID document, produced by the transaction at ``seq``."""

    number: int
    seq: int
    time: int  # the transaction's iat: signed by the controller, checked by the ledger
    document: Document | None  # None once deactivated
    next_key_hashes: tuple[str, ...]
    leaf_hash: bytes

    @property
    def version_id(self) -> str:
        return f"{self.number}-{self.leaf_hash.hex()}"

    @property
    def deactivated(self) -> bool:
        return self.document is None


@dataclass(slots=True)
class DidRecord:
    did: DID
    role: str
    versions: list[DidVersion] = field(default_factory=list)

    @property
    def current(self) -> DidVersion:
        return self.versions[-1]

    def visible(self, size: int) -> list[DidVersion]:
        """The versions whose transactions are in the first ``size`` entries of the log."""
        seqs = [v.seq for v in self.versions]
        return self.versions[: bisect.bisect_left(seqs, size)]

    def select(
        self, size: int, *, version_id: str | None = None, version_time: int | None = None
    ) -> tuple[DidVersion, list[DidVersion]]:
        """The version a resolution asks for, and every version visible at ``size``."""
        versions = self.visible(size)
        if not versions:
            raise NotFound("notFound", f"{self.did} is not on the ledger")
        if version_id is not None:
            for version in versions:
                if version_id in (version.version_id, str(version.number)):
                    return version, versions
            raise NotFound("notFound", f"{self.did} has no version {version_id!r}")
        if version_time is not None:
            earlier = [v for v in versions if v.time <= version_time]
            if not earlier:
                raise NotFound("notFound", f"{self.did} did not exist at {version_time}")
            return earlier[-1], versions
        return versions[-1], versions


@dataclass(slots=True)
class State:
    """Everything the rules read: who exists, with which keys, and what has been seen."""

    origin: str | None = None
    governance: DID | None = None
    checkpoint_vkey: str | None = None
    dids: dict[DID, DidRecord] = field(default_factory=dict)
    tx_ids: set[str] = field(default_factory=set)
    extensions: dict[str, Any] = field(default_factory=dict)

    def record(self, did: DID) -> DidRecord:
        record = self.dids.get(did)
        if record is None:
            raise NotFound("did_not_found", f"{did} is not on the ledger")
        return record

    def live_document(self, did: DID) -> Document:
        """The current document of an active DID."""
        current = self.record(did).current
        if current.document is None:
            raise Gone("did_deactivated", f"{did} has been deactivated")
        return current.document

    def governance_document(self) -> Document:
        if self.governance is None:
            raise InvalidInput("ledger_not_initialized", "the ledger has no genesis")
        return self.live_document(self.governance)
