"""The page's poll (``GET /transactions/{id}``) is written by hand (``verifier.poll``): its
bytes are the wire model's (``civicid.wire.desk.Transaction``) at every stage of a request,
for any decision and any text in it, and for a decision stored before the store kept the
model's encoding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.eligibility.decision import FAILED, PASSED, SKIPPED, Decision, Outcome
from civicid.wire import desk as wire
from tests.verifier.world import Clock, World, fetch_request, form
from verifier.app import create_app
from verifier.poll import Polled, decision_text, poll_answer
from verifier.service import Verifier

NOW = 1_780_000_000
# Text that JSON encoders disagree about if any do: quotes, backslashes, control characters,
# DEL, the line separators JavaScript once choked on, letters beyond ASCII, an emoji.
AWKWARD = 'a"b\\c/\n\t\x00\x1f\x7f\u2028\u2029é漢字🙂'


def model_bytes(polled: Polled, title: str, now: int) -> bytes:
    """What the wire model writes for the same request."""
    decision = json.loads(polled.decision) if polled.decision is not None else None
    data: dict[str, Any] = {
        "status": polled.status(now),
        "policy": polled.policy,
        "title": title,
        "expires_at": polled.expires,
        "decision": decision,
    }
    return wire.Transaction.model_validate(data).to_bytes()


def decision(text: str = "", *, eligible: bool = True, size: int | None = 7) -> Decision:
    outcomes = (
        Outcome("signature", "Issuer signature", PASSED, "RFC 9901 §7.1", None, text),
        Outcome(
            "status",
            f"Status {text}",
            PASSED if eligible else FAILED,
            "TSL §8",
            None if eligible else "status_revoked",
            f"revoked {text}",
        ),
        Outcome("policy", "Policy", SKIPPED if not eligible else PASSED, "ours"),
    )
    return Decision(
        eligible,
        f"policy-{text}",
        f"purpose {text}",
        NOW,
        outcomes,
        vct=f"https://vct.example/{text}",
        issuer=None if not eligible else f"did:civicid:{text}",
        received=(f"claim {text}", "resident"),
        checkpoint_size=size,
        offline=not eligible,
    )


def polled(stored: str | None, **columns: Any) -> Polled:
    values: dict[str, Any] = {
        "policy": "housing-benefit",
        "expires": NOW + 300,
        "fetched": None,
        "answered": None,
        "decision": stored,
    }
    values.update(columns)
    return Polled(**values)


@pytest.mark.parametrize(
    "columns",
    [
        {},
        {"fetched": NOW},
        {"fetched": NOW, "answered": NOW + 1},
        {"expires": NOW - 1},
        {"policy": AWKWARD},
    ],
    ids=["waiting", "fetched", "checking", "expired", "awkward-policy"],
)
def test_a_request_without_its_decision_reads_as_the_model_writes_it(
    columns: dict[str, Any],
) -> None:
    request = polled(None, **columns)
    assert poll_answer(request, AWKWARD, NOW) == model_bytes(request, AWKWARD, NOW)


@pytest.mark.parametrize("eligible", [True, False])
@pytest.mark.parametrize("size", [None, 0, 2**40])
def test_a_decided_request_reads_as_the_model_writes_it(eligible: bool, size: int | None) -> None:
    request = polled(decision_text(decision(AWKWARD, eligible=eligible, size=size).to_json()))
    answer = poll_answer(request, "Housing benefit", NOW)
    assert answer == model_bytes(request, "Housing benefit", NOW)
    assert json.loads(answer)["status"] == "decided"


def test_a_decision_stored_in_the_older_encoding_reads_as_the_model_writes_it() -> None:
    older = json.dumps(decision(AWKWARD).to_json())  # spaces after separators, \u escapes
    request = polled(older)
    assert poll_answer(request, "Housing benefit", NOW) == model_bytes(
        request, "Housing benefit", NOW
    )


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40), title=st.text(max_size=20), eligible=st.booleans())
def test_any_text_in_a_decision_reads_as_the_model_writes_it(
    text: str, title: str, eligible: bool
) -> None:
    try:
        text.encode("utf-8")
        title.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the model cannot write it (next test)
        return
    request = polled(decision_text(decision(text, eligible=eligible).to_json()), policy=title)
    assert poll_answer(request, title, NOW) == model_bytes(request, title, NOW)


def test_a_lone_surrogate_in_a_decision_is_kept_escaped_and_the_poll_is_json() -> None:
    stored = decision_text(decision("\ud800").to_json())
    assert stored.isascii() and "\\ud800" in stored
    answer = json.loads(poll_answer(polled(stored), "Housing benefit", NOW))
    assert answer["decision"]["policy"] == "policy-\ud800"


def test_the_poll_over_http_is_the_model_at_each_stage_of_a_flow(
    world: World, verifier: Verifier, desk_clock: Clock
) -> None:
    with TestClient(create_app(verifier=verifier), base_url="http://localhost") as client:
        created = client.post("/requests", json={"policy": "housing-benefit"}).json()
        url = created["status_url"]

        def check(status: str) -> dict[str, Any]:
            answer = client.get(url)
            data = verifier.transaction(created["transaction_id"])
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "application/json"
            assert answer.headers["cache-control"] == "no-store"
            assert answer.content == wire.Transaction.model_validate(data).to_bytes()
            body: dict[str, Any] = answer.json()
            assert body["status"] == status
            return body

        check("waiting")
        request = fetch_request(verifier, created["link"], desk_clock.now)
        check("fetched")
        presentation = world.present(
            world.credential(), nonce=request.nonce, aud=request.client_id, iat=desk_clock.now
        )
        verifier.receive_response(form(request.state, presentation))
        assert check("decided")["decision"]["eligible"] is True
        unknown = client.get("/transactions/nothing-like-it")
        assert unknown.status_code == 404 and unknown.json()["error"] == "request_unknown"
