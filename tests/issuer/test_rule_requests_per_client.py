"""Each client's share of the rule desk's waiting requests (``civicid.quota``, the desk's own):
one client's flood of asks is refused 429 ``client_requests_full`` with ``Retry-After`` once
its share is taken, and leaves room for another client (before, one client could take all
10,000 places: ``rule_requests_full`` for everyone for up to five minutes). A request not
made after all (the ledger or store failed) gives its place back."""

from __future__ import annotations

import httpx
import pytest

from civicid.errors import Error
from cli.harness import free_port, serving
from issuer import rule_requests
from issuer.app import create_app
from issuer.by_rule import REQUEST_TTL, RuleIssuance
from tests.issuer.conftest import Env
from tests.issuer.test_issuance_by_rule import RULE
from tests.issuer.test_issuance_by_rule import env as env  # the issuer, its rule published
from tests.issuer.test_issuance_by_rule import pass_type as pass_type  # env's fixture
from tests.issuer.test_rule_requests_served import ASK

FLOODER, CITIZEN = "198.51.100.7", "203.0.113.9"


def test_one_clients_flood_leaves_room_for_another(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING", 10)
    monkeypatch.setattr(rule_requests, "MAX_WAITING_PER_CLIENT", 3)
    desk = RuleIssuance(env.issuer)
    try:
        for _ in range(3):
            desk.request(RULE, FLOODER)
        with pytest.raises(Error) as refused:
            desk.request(RULE, FLOODER)
        assert refused.value.code == "client_requests_full"
        assert refused.value.http_status == 429
        # When its first ask expires (the clock is real time: a few seconds on, under load).
        assert REQUEST_TTL - 60 < refused.value.details["retry_after"] <= REQUEST_TTL
        assert desk.requests.waiting() == 3  # the refused ask kept nothing
        made = desk.request(RULE, CITIZEN)  # another client still has room
        assert made.request.state
        assert desk.requests.waiting() == 4
    finally:
        desk.requests.close()


def test_a_request_not_made_gives_its_place_back(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING_PER_CLIENT", 1)
    desk = RuleIssuance(env.issuer)
    try:
        with pytest.raises(Error) as unknown:
            desk.request("no-such-rule", FLOODER)
        assert unknown.value.code != "client_requests_full"
        assert desk.quota.held(FLOODER) == 0
        desk.request(RULE, FLOODER)
        assert desk.quota.held(FLOODER) == 1
    finally:
        desk.requests.close()


def test_the_served_desk_answers_a_clients_flood_429_with_retry_after(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_requests, "MAX_WAITING_PER_CLIENT", 2)
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        answers = [httpx.post(url + ASK, timeout=30) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429], answers[-1].text
    full = answers[-1]
    assert full.json()["error"] == "client_requests_full"
    assert int(full.headers["retry-after"]) == full.json()["details"]["retry_after"]
    assert full.headers["cache-control"] == "no-store"
