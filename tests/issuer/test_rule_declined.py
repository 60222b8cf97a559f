"""A wallet's "no" to a rule's request (OpenID4VP §8.5: ``error=access_denied`` with the
request's state, the direct_post error form) ends the waiting request at once: answered 200
with ``rule_request_declined`` (before: ``rule_request_unknown``, "the wallet declined", and
only after the ledger was asked about the rule), counted and recorded as declined, nothing
asked of the ledger; the same state again is a replay."""

from __future__ import annotations

import httpx
import pytest

from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.by_rule import RESPONSE_PATH
from issuer.store import Audit
from tests.issuer.conftest import Env
from tests.issuer.test_issuance_by_rule import RULE
from tests.issuer.test_issuance_by_rule import env as env  # the issuer, its rule published
from tests.issuer.test_issuance_by_rule import pass_type as pass_type  # env's fixture
from tests.issuer.test_rule_requests_served import ASK, asked_of


def test_a_declined_request_ends_at_once(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(issuer=env.issuer, background=False)
    recorded: list[Audit] = []
    with serving(app, free_port()) as url:
        made = httpx.post(url + ASK, timeout=30)
        assert made.status_code == 201, made.text
        assert app.state.rule_issuance.requests.waiting() == 1

        def no_ledger() -> None:
            raise AssertionError("a decline asks nothing of the ledger")

        monkeypatch.setattr(env.issuer.ledger, "asking", no_ledger)
        submit = env.issuer.store.submit
        monkeypatch.setattr(
            env.issuer.store, "submit", lambda ops: recorded.extend(ops) or submit(ops)
        )
        form = {"state": asked_of(made).request.state, "error": "access_denied"}
        declined = httpx.post(url + RESPONSE_PATH, data=form, timeout=30)
        assert declined.status_code == 200, declined.text
        body = declined.json()
        assert (body["issued"], body["code"], body["failed_step"]) == (
            False,
            "rule_request_declined",
            "response",
        )
        assert "access_denied" in body["reason"]
        assert "redirect_uri" not in body
        assert app.state.rule_issuance.requests.waiting() == 0
        counts = httpx.get(url + "/rules/counts", timeout=30).json()["counts"]
        assert counts == [{"rule": RULE, "version": 1, "outcome": "declined", "count": 1}]
        again = httpx.post(url + RESPONSE_PATH, data=form, timeout=30)
    assert again.status_code == 403 and again.json()["error"] == "presentation_replayed"
    [event] = [op.event for op in recorded if isinstance(op, Audit)]
    assert (event.action, event.outcome) == ("rule.decision", "rule_request_declined")
    assert event.detail == {"version": 1, "outcome": "declined"}


def test_an_error_answer_to_no_request_is_unknown(env: Env) -> None:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        form = {"state": "s" * 32, "error": "access_denied"}
        refused = httpx.post(url + RESPONSE_PATH, data=form, timeout=30)
    assert refused.status_code == 404 and refused.json()["error"] == "rule_request_unknown"
