"""Offline, an answer older than the policy allows is refused with its age, so the desk can
say how stale its snapshot is; nothing is fetched."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from verifier.trust import LedgerTrust


def test_a_stale_snapshot_is_refused_with_its_age() -> None:
    fetched: list[str] = []
    trust = LedgerTrust(None, clock=lambda: 0, as_of=1_000)  # type: ignore[arg-type]
    with pytest.raises(Error) as info:
        trust._fresh(("type", "t"), lambda: fetched.append("t"), now=1_000 + 301, max_age=300)
    assert info.value.code == "snapshot_stale"
    assert info.value.details["age"] == 301
    assert fetched == []
