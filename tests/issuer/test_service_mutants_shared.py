"""An issuer opened on a database other issuers share reads the status lists once, when it
opens: its first request reads none of them again (no conflict has happened yet). It keeps
no offer from the database in memory when it opens: another process may change any of them
at any time, so each is read when a request names it."""

from __future__ import annotations

import pytest

from issuer.service import Issuer
from tests.issuer.test_bad_input import offer, token_request
from tests.issuer.test_shared_database import Pair
from tests.issuer.test_shared_list_sync import (
    issue_at,
    pair,  # noqa: F401  (the fixture)
    reads,
)


def test_an_issuer_just_opened_reads_no_list_again(
    pair: Pair,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number, _ = issue_at(pair, pair.other, "REG-1")
    fresh = Issuer.open(pair.env.settings, clock=pair.env.clock)
    try:
        assert number in fresh.lists.lists  # read when it opened
        read = reads(fresh, monkeypatch)
        assert number in fresh.list_uris()
        assert read == []
    finally:
        fresh.close()


def test_an_issuer_just_opened_keeps_no_offer_of_the_database_in_memory(
    pair: Pair,  # noqa: F811
) -> None:
    made = offer(pair.env)
    fresh = Issuer.open(pair.env.settings, clock=pair.env.clock)
    try:
        assert fresh.offers.by_id == {}
        token = fresh.token(token_request(made, made.tx_code))  # read when asked
        assert token.access_token
    finally:
        fresh.close()
