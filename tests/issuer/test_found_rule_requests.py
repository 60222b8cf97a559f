"""The file of rule requests is bounded as a whole: requests asked and answered in a flood
(each answer marks its request answered before judging it) do not grow it past its bound,
and a replay of an answered request the bound let go is still refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from civicid.errors import Error
from issuer import rule_requests
from issuer.rule_requests import FILE, RuleRequests, Waiting

NOW = 1_780_000_000
TTL = 300


def test_answered_requests_are_bounded_and_their_replays_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 2)
    monkeypatch.setattr(rule_requests, "MAX_ANSWERED", 3)
    requests = RuleRequests(tmp_path)
    for n in range(20):  # all within one request's lifetime: nothing is swept by time
        requests.add(Waiting(f"s{n}", f"n{n}", "rule", 1, NOW + n, NOW + n + TTL), keep=TTL)
        requests.take(f"s{n}", NOW + n, keep=TTL)
    requests.close()
    with sqlite3.connect(tmp_path / FILE) as db:
        (rows,) = db.execute("SELECT count(*) FROM requests").fetchone()
    assert rows <= 3
    again = RuleRequests(tmp_path)
    for state, code in (("s0", "rule_request_unknown"), ("s19", "presentation_replayed")):
        with pytest.raises(Error) as refused:
            again.take(state, NOW + 20, keep=TTL)
        assert refused.value.code == code
    again.close()
