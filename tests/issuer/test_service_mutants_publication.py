"""A publication run by the issuer republishes an unchanged list once its token is half way to
its lifetime (verifiers never hold a stale one), and not before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.issuer.conftest import Clock, Env, LedgerWorld, make_env

# The shortest status token lifetime the settings allow: half of it is within the ledger's
# allowance for clock skew, so the moved clock's tokens are still taken.
STATUS_TTL = 60


@pytest.fixture
def short_lived(tmp_path: Path, ledger_world: LedgerWorld, clock: Clock) -> Iterator[Env]:
    env = make_env(tmp_path, ledger_world, clock, status_ttl=STATUS_TTL)
    yield env
    env.issuer.close()


def test_an_unchanged_list_is_published_again_half_way_to_its_tokens_expiry(
    short_lived: Env,
) -> None:
    env = short_lived
    env.issuer.publish()  # whatever was due at the start
    first = env.issuer.status_token(1)
    assert first is not None
    assert env.issuer.publish() == []  # nothing changed, the token is fresh
    env.clock.offset += STATUS_TTL // 2
    start = env.clock()
    [record] = env.issuer.publish()
    assert record.number == 1 and record.token != first and not record.pending
    assert record.published_at is not None and start <= record.published_at <= env.clock()
    assert env.issuer.status_token(1) == record.token
