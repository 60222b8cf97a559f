"""Issuer processes sharing a database each keep the status lists in memory and read from the
database only what they need: a list another process made, and after a write that lost to
another process (a conflict), the newest list as it is now, the indexes the other handed out
with it, so the step run again does not pick them a second time. Not every list on every
request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.errors import STORE_CONFLICT
from issuer.service import Issuer
from tests.issuer.conftest import Clock, LedgerWorld, make_env
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem
from tests.issuer.test_shared_database import Pair


@pytest.fixture
def pair(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock, database_url: str
) -> Iterator[Pair]:
    env = make_env(tmp_path, ledger_world, clock, database_url=database_url)
    other = Issuer.open(env.settings, clock=clock)
    yield Pair(env, other)
    other.close()
    env.issuer.close()


def issue_at(pair: Pair, issuer: Issuer, record: str) -> tuple[int, int]:
    """One credential for ``record``, issued by ``issuer``: its (list, index)."""
    token = redeem(pair.env, offer(pair.env, record=record))
    issuer.credential_request(token, credential_request([good_proof(pair.env)]))
    [issued] = pair.one.credentials(record=record, status=None, limit=1, offset=0)
    return issued.slots[0]


def reads(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lists whose indexes ``issuer`` reads from the database from now on."""
    read: list[int] = []
    slots = issuer.store.slots

    def counted(number: int) -> Iterator[tuple[int, int]]:
        read.append(number)
        return slots(number)

    monkeypatch.setattr(issuer.store, "slots", counted)
    return read


def test_only_a_conflict_reads_the_newest_list_again(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _ = issue_at(pair, pair.other, "REG-1")  # the other made the list
    assert number in pair.one.list_uris()  # and this one knows it
    read = reads(pair.one, monkeypatch)

    same, idx = issue_at(pair, pair.other, "REG-2")
    assert same == number
    pair.one.list_uris()
    assert read == []  # nothing new, no conflict: nothing read again
    assert not pair.one.lists.lists[number].allocator.is_used(idx)

    assert pair.one.retry_after(STORE_CONFLICT("changed by another process"), 0)
    pair.one.list_uris()
    assert read == [number]  # after the conflict: the newest list as it is now
    assert pair.one.lists.lists[number].allocator.is_used(idx)
    pair.one.list_uris()
    assert read == [number]  # once
