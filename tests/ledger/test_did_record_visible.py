"""The versions of a DID a tree size shows: those logged in its first ``size`` entries, the
same whether all of them or only some are in."""

from __future__ import annotations

from civicid.did import DID
from ledger.state import DidRecord, DidVersion


def record_at(*seqs: int) -> DidRecord:
    record = DidRecord(DID("did:civicid:" + "a" * 32), "agency")
    for number, seq in enumerate(seqs, 1):
        record.add(DidVersion(number, seq, 1_000 + seq, (), bytes([number]) * 32))
    return record


def test_the_versions_logged_before_a_size_are_the_ones_it_shows() -> None:
    record = record_at(3, 7, 8, 20)
    for size in range(0, 25):
        shown = record.visible(size)
        assert [v.seq for v in shown] == [s for s in (3, 7, 8, 20) if s < size], size
        shown.append(record.versions[0])  # a copy: what the caller does to it stays its own
        assert [v.seq for v in record.versions] == [3, 7, 8, 20]
    assert record_at().visible(10) == []
