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


def test_past_the_bound_a_new_request_is_refused_and_the_waiting_ones_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking needs no sign-in: a flood must not push out a citizen's request still waiting."""
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 2)
    requests = RuleRequests(tmp_path)
    for n in range(2):
        requests.add(waiting(n, NOW + n), keep=TTL)
    with pytest.raises(Error) as info:
        requests.add(waiting(2, NOW + 2), keep=TTL)
    assert info.value.code == "rule_requests_full"
    assert info.value.details == {"retry_after": TTL - 1}  # the first expires at NOW + TTL
    assert info.value.message == (
        f"2 requests wait for their answer, the most the issuer keeps; try again in {TTL - 1} s"
    )
    assert requests.waiting() == 2
    assert refused(requests, "state-2", NOW + 3) == "rule_request_unknown"  # nothing kept
    assert requests.take("state-0", NOW + 3, keep=TTL) == waiting(0)


def test_past_the_bound_the_expired_make_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 2)
    requests = RuleRequests(tmp_path)
    requests.add(waiting(0), keep=TTL)
    requests.add(waiting(1, NOW + 10), keep=TTL)
    with pytest.raises(Error) as info:  # its last second: the first may still be answered
        requests.add(waiting(2, NOW + TTL), keep=TTL)
    assert (info.value.code, info.value.details) == ("rule_requests_full", {"retry_after": 1})
    later = NOW + TTL + 1  # the first expired, not yet swept (it would be kept once answered)
    requests.add(waiting(2, later), keep=TTL)
    assert requests.waiting() == 2
    assert refused(requests, "state-0", later) == "rule_request_unknown"
    assert requests.take("state-1", later, keep=TTL) == waiting(1, NOW + 10)
    assert requests.take("state-2", later, keep=TTL) == waiting(2, later)


def test_requests_past_their_time_are_swept(tmp_path: Path) -> None:
    requests = RuleRequests(tmp_path)
    requests.add(waiting(1), keep=TTL)
    requests.add(waiting(2, NOW + 2 * TTL + 1), keep=TTL)  # sweeps the first
    assert requests.waiting() == 1
    assert refused(requests, "state-1", NOW + 2 * TTL + 1) == "rule_request_unknown"


def test_at_the_bound_of_answered_requests_only_the_oldest_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At ``MAX_ANSWERED`` answered requests, a new request pushes out the oldest answered one
    alone: the others are still told as replays (a LIMIT gone negative would delete them all,
    and their replays would be only unknown)."""
    monkeypatch.setattr(rule_requests, "MAX_ANSWERED", 3)
    requests = RuleRequests(tmp_path)
    for n in range(3):
        requests.add(waiting(n, NOW + n), keep=TTL)
        requests.take(f"state-{n}", NOW + n, keep=TTL)
    requests.add(waiting(3, NOW + 3), keep=TTL)
    assert refused(requests, "state-0", NOW + 4) == "rule_request_unknown"
    for n in (1, 2):
        assert refused(requests, f"state-{n}", NOW + 4) == "presentation_replayed"
    assert requests.take("state-3", NOW + 4, keep=TTL) == waiting(3, NOW + 3)
    requests.add(waiting(4, NOW + 5), keep=TTL)  # the bound again: state-1 goes, alone
    assert refused(requests, "state-1", NOW + 5) == "rule_request_unknown"
    for n in (2, 3):
        assert refused(requests, f"state-{n}", NOW + 5) == "presentation_replayed"
    assert requests.waiting() == 1
