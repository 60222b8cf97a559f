"""A staff call whose write reads the clerk's row itself (``unread``) is authorized from a key
verified lately without reading that row first; a clerk without the scope is decided on its
row, as is every call without ``unread``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import pytest

from civicid.errors import Error
from issuer.errors import CLAIMS_INVALID, STAFF_SCOPE_MISSING
from issuer.records import SCOPE_ISSUE, SCOPE_REVOKE, Clerk
from issuer.store import ClerkHolds, Op
from tests.issuer.conftest import CONFIG, Env, sample_claims

ACTION = "offer.create"


def row_reads(env: Env, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a clerk's row from now on, by clerk id."""
    reads: list[str] = []
    read: Callable[[str], Clerk | None] = env.issuer.keyring.store.clerk

    def counted(clerk_id: str) -> Clerk | None:
        reads.append(clerk_id)
        return read(clerk_id)

    monkeypatch.setattr(env.issuer.keyring.store, "clerk", counted)
    return reads


def test_a_key_verified_lately_is_authorized_unread_without_reading_its_row(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = env.keys["alice"]
    verified = env.issuer.authorize(key, (SCOPE_ISSUE,), ACTION)  # verified, now remembered
    reads = row_reads(env, monkeypatch)

    clerk, _ = env.issuer.authorize_begin(key, (SCOPE_ISSUE,), ACTION, unread=True)
    assert clerk == verified and reads == []

    clerk, _ = env.issuer.authorize_begin(key, (SCOPE_ISSUE,), ACTION)  # the row is read
    assert clerk == verified and reads == [verified.id]


def test_a_clerk_without_the_scope_is_decided_on_its_row_even_unread(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = env.keys["bob"]  # issue only
    verified = env.issuer.authorize(key, (SCOPE_ISSUE,), ACTION)
    reads = row_reads(env, monkeypatch)
    with pytest.raises(Error) as caught:
        env.issuer.authorize_begin(key, (SCOPE_REVOKE,), "credential.revoke", unread=True)
    assert caught.value.code == STAFF_SCOPE_MISSING.name
    assert reads == [verified.id]


def test_an_offer_by_a_clerk_whose_row_was_just_read_reads_it_no_more(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``unread`` the caller read the row (``authorize``): neither the offer's write
    nor a refusal reads it again."""
    clerk = env.issuer.authorize(env.keys["alice"], (SCOPE_ISSUE,), ACTION)
    written: list[list[Op]] = []
    submit: Callable[[list[Op]], Future[None]] = env.issuer.store.submit
    asked: list[Clerk] = []
    holds: Callable[[Clerk], bool] = env.issuer.keyring.holds

    def recorded(ops: list[Op], refused: Callable[[], None] | None = None) -> Future[None]:
        written.append(list(ops))
        return submit(ops, refused=refused)

    def held(of: Clerk) -> bool:
        asked.append(of)
        return holds(of)

    monkeypatch.setattr(env.issuer.store, "submit", recorded)
    monkeypatch.setattr(env.issuer.keyring, "holds", held)
    made = env.issuer.create_offer(
        clerk, configuration=CONFIG, record="REG-1", claims=sample_claims()
    )
    assert env.store.offer(made.offer.id) is not None
    assert written and not any(isinstance(op, ClerkHolds) for ops in written for op in ops)
    with pytest.raises(Error) as caught:
        env.issuer.create_offer(clerk, configuration=CONFIG, record="REG-2", claims={})
    assert caught.value.code == CLAIMS_INVALID.name
    assert asked == []
