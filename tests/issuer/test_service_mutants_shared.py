"""An issuer opened on a database other issuers share reads the status lists once, when it
opens: its first request reads none of them again (no conflict has happened yet)."""

from __future__ import annotations

import pytest

from issuer.service import Issuer
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
