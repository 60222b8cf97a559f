"""The desk end to end in-process: request, request object once, answer, decision, receipt."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.oid4vp import verify_receipt
from tests.verifier.world import Clock, World, fetch_request, form
from verifier.service import Verifier


def test_housing_benefit_eligible(world: World, verifier: Verifier, desk_clock: Clock) -> None:
    credential = world.credential(iat=world.clock.now + 10)
    created = verifier.create_request("housing-benefit")
    request = fetch_request(verifier, created.link, desk_clock.now)
    presentation = world.present(
        credential, nonce=request.nonce, aud=request.client_id, iat=desk_clock.now
    )
    answered = verifier.receive_response(form(request.state, presentation))
    decision = answered.decision
    assert decision.eligible, decision.to_text()
    assert decision.received == ("age_equal_or_over.18", "resident")
    receipt = verify_receipt(
        answered.receipt, lambda kid: verifier.desk.key.public, nonce=request.nonce
    )
    assert receipt.decision == "eligible" and receipt.claim_names == decision.received
    status = verifier.transaction(created.transaction_id)
    assert status["status"] == "decided" and status["decision"]["eligible"] is True
    assert verifier.store.audit_trail()[-1]["decision"] == "eligible"


def test_request_object_served_once(verifier: Verifier, desk_clock: Clock) -> None:
    created = verifier.create_request("housing-benefit")
    fetch_request(verifier, created.link, desk_clock.now)
    with pytest.raises(Error) as caught:
        fetch_request(verifier, created.link, desk_clock.now)
    assert caught.value.code == "request_already_fetched"
