"""What an issuance keeps: the issued record names its offer, record, configuration, type,
times, status entries and the clerk who made the offer, under a fresh 96-bit id; each copy's
status claim is its own entry of that record; the offer is closed (no claims, code or token
left); a list an issuance opened is on disk before anything is published."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pytest

from civicid.sdjwt_builder import decode_unverified
from civicid.status_list import STATUS_VALID
from issuer.settings import ConfigurationSettings
from issuer.store import NewList, Op, PutList
from tests.issuer.conftest import (
    CONFIG,
    NATIONAL_ID,
    Clock,
    Env,
    LedgerWorld,
    make_env,
    sample_claims,
)
from tests.issuer.test_bad_input import credential_request, good_proof, redeem
from tests.issuer.test_status import issue

ID = re.compile(r"[A-Za-z0-9_-]{16}")  # 12 random bytes (96 bits), base64url


def test_the_issued_record_names_all_it_came_from(env: Env) -> None:
    created = env.issuer.create_offer(
        env.clerk("bob"),
        configuration=CONFIG,
        record="REG-42",
        claims=sample_claims(),
    )
    token = redeem(env, created)
    start = env.clock()
    answer = env.issuer.credential_request(
        token, credential_request([good_proof(env), good_proof(env)])
    )
    end = env.clock()
    [issued] = env.issuer.credentials(record="REG-42", status=None, limit=10, offset=0)
    assert ID.fullmatch(issued.id)
    assert (issued.offer, issued.record, issued.configuration, issued.vct, issued.clerk) == (
        created.offer.id,
        "REG-42",
        CONFIG,
        NATIONAL_ID,
        "bob",
    )
    assert start <= issued.iat <= end
    assert issued.exp == issued.iat + 365 * 86400
    assert issued.status == STATUS_VALID and len(issued.slots) == 2
    assert answer.credentials is not None
    entries = []
    for copy in answer.credentials:
        assert isinstance(copy.credential, str)
        payload = decode_unverified(copy.credential).payload
        assert (payload["iat"], payload["exp"], payload["vct"]) == (
            issued.iat,
            issued.exp,
            NATIONAL_ID,
        )
        entry = payload["status"]["status_list"]
        entries.append((entry["uri"], entry["idx"]))
    assert sorted(entries) == sorted((env.issuer.lists.uri(n), i) for n, i in issued.slots)
    closed = env.store.offer(created.offer.id)
    assert closed is not None
    assert (closed.state, closed.credential) == ("issued", issued.id)
    assert (closed.claims, closed.code, closed.token_hash) == (None, None, None)


def test_a_list_an_issuance_opened_is_kept_before_it_is_published(
    tmp_path: Path, ledger_world: LedgerWorld, clock: Clock
) -> None:
    env = make_env(
        tmp_path,
        ledger_world,
        clock,
        status_list_size=16,
        configurations=[ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3)],
    )
    try:
        issued = [issue(env, record=f"REG-{i}", copies=3) for i in range(5)]
        assert {n for i in issued for n, _ in i.slots} == {1, 2}
        assert [r.number for r in env.store.lists()] == [1, 2]  # nothing published yet
        reopened = env.reopen()
        assert set(reopened.lists.lists) == {1, 2}
        in_two = [idx for i in issued for n, idx in i.slots if n == 2]
        assert reopened.lists.lists[2].allocator.allocated == len(in_two) > 0
    finally:
        env.issuer.close()


def test_a_shared_store_gets_a_new_list_only_as_made_with_its_issuance(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    clock: Clock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shared by processes, a new list is written once, with the issuance that made it, as a
    list refused if another process made it first; never upserted ahead of it."""
    env = make_env(
        tmp_path,
        ledger_world,
        clock,
        database_url=database_url,
        status_list_size=16,
        configurations=[ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3)],
    )
    try:
        assert env.issuer.shared
        submitted: list[object] = []
        real = env.store.submit

        def recording(ops: list[Op], refused: Callable[[], None] | None = None) -> Future[None]:
            submitted.extend(ops)
            return real(ops, refused=refused)

        monkeypatch.setattr(env.store, "submit", recording)
        retried: list[tuple[object, ...]] = []

        def no_retry(*asked: object) -> bool:
            retried.append(asked)
            return False

        monkeypatch.setattr(env.issuer, "retry_after", no_retry)
        issued = [issue(env, record=f"REG-{i}", copies=3) for i in range(5)]
        assert {n for i in issued for n, _ in i.slots} == {1, 2}
        assert [op.record.number for op in submitted if isinstance(op, NewList)] == [2]
        assert [op for op in submitted if isinstance(op, PutList)] == []
        assert retried == []  # made at the first try: nothing conflicted
    finally:
        env.issuer.close()
