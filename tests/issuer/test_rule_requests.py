"""The file of waiting rule requests on its own: what it keeps, for how long, and its bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from issuer import rule_requests
from issuer.rule_requests import RuleRequests, Waiting

NOW = 1_780_000_000
TTL = 300


def waiting(n: int, at: int = NOW) -> Waiting:
    return Waiting(f"state-{n}", f"nonce-{n}", "senior-transit", 1, at, at + TTL)


def refused(requests: RuleRequests, state: str, now: int) -> str:
    with pytest.raises(Error) as info:
        requests.take(state, now, keep=TTL)
    return info.value.code


def test_taken_once_then_a_replay_then_unknown(tmp_path: Path) -> None:
    requests = RuleRequests(tmp_path)
    requests.add(waiting(1), keep=TTL)
    assert requests.take("state-1", NOW + 10, keep=TTL) == waiting(1)
    assert refused(requests, "state-1", NOW + 10 + TTL) == "presentation_replayed"
    assert refused(requests, "state-1", NOW + 11 + TTL) == "rule_request_unknown"
    assert refused(requests, "state-2", NOW) == "rule_request_unknown"


def test_kept_across_openings_of_the_file(tmp_path: Path) -> None:
    first = RuleRequests(tmp_path)
    first.add(waiting(1), keep=TTL)
    first.close()
    again = RuleRequests(tmp_path)
    assert again.waiting() == 1
    assert again.take("state-1", NOW, keep=TTL).nonce == "nonce-1"
    again.close()
    assert refused(RuleRequests(tmp_path), "state-1", NOW) == "presentation_replayed"


def test_past_the_bound_the_oldest_waiting_request_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 2)
    requests = RuleRequests(tmp_path)
    for n in range(3):
        requests.add(waiting(n, NOW + n), keep=TTL)
    assert requests.waiting() == 2
    assert refused(requests, "state-0", NOW + 3) == "rule_request_unknown"
    assert requests.take("state-2", NOW + 3, keep=TTL).state == "state-2"


def test_requests_past_their_time_are_swept(tmp_path: Path) -> None:
    requests = RuleRequests(tmp_path)
    requests.add(waiting(1), keep=TTL)
    requests.add(waiting(2, NOW + 2 * TTL + 1), keep=TTL)  # sweeps the first
    assert requests.waiting() == 1
    assert refused(requests, "state-1", NOW + 2 * TTL + 1) == "rule_request_unknown"
