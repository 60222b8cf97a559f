"""Presenting over OpenID4VP to a desk on loopback: the checked request, the plan the
citizen reviews, only approved and accredited claims sent, the receipt kept."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.test_issuance import unchanged
from tests.wallet.world import DESK_NAMES, OTHER_TYPE, LedgerWorld
from wallet.holder.history import Presentation
from wallet.holder.presentation import OPTIONAL, REQUIRED
from wallet.holder.wallet import Wallet


def test_present_sends_only_what_is_asked_and_keeps_the_receipt(
    citizen: Wallet, desk_stub: RogueDesk, ledger_world: LedgerWorld
) -> None:
    plan = citizen.prepare(desk_stub.link())
    assert plan.verifier == ledger_world.desk.did
    assert (plan.verifier_name, plan.verifier_names) == ("Town hall desk", DESK_NAMES)
    [query] = plan.queries
    option = query.options[0]
    assert [(c.name, c.requirement, c.allowed) for c in option.claims] == [
        ("given_name", REQUIRED, True),
        ("resident", REQUIRED, True),
    ]
    assert option.accreditation is not None
    assert option.accreditation_purpose == "Check identity and residence at the town hall desk"
    assert desk_stub.behaviour.received == []  # nothing sent while preparing
    outcome = citizen.present(plan)
    [received] = desk_stub.behaviour.received
    assert received["given_name"] == "Ada" and received["resident"] is True
    assert "family_name" not in received and "birthdate" not in received
    assert "address" not in received
    assert outcome.receipt is not None and outcome.receipt.decision == "eligible"
    [entry] = citizen.history()
    assert entry.disclosed == ("given_name", "resident")
    assert entry.verifier == ledger_world.desk.did
    assert entry.verifier_name == "Town hall desk"  # its endorsed name, not its purpose
    assert entry.decision == "eligible" and entry.receipt is not None
    assert entry.receipt_claims == outcome.receipt  # kept as checked, read back as a receipt
    assert set(entry.receipt_claims.claim_names) == {"given_name", "resident"}
    # A kept receipt of another form is a damaged record, never shown as a decision.
    damaged = {**entry.to_json(), "receipt_claims": {**outcome.receipt.to_json(), "iat": "now"}}
    with pytest.raises(Error) as caught:
        Presentation.from_json(damaged)
    assert caught.value.code == "wallet_record_invalid"
    assert Presentation.from_json({**entry.to_json(), "receipt_claims": {}}).receipt_claims is None


def test_each_presentation_to_a_desk_uses_another_copy(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    copies = []
    for _ in range(4):
        citizen.present(citizen.prepare(desk_stub.link()))
        copies.append(citizen.history()[-1].copy_id)
    [held] = citizen.credentials()
    assert set(copies[:3]) == {c.id for c in held.copies}
    assert [e.fresh_copy for e in citizen.history()] == [True, True, True, False]


def test_optional_claims_can_be_left_out(citizen: Wallet, desk_stub: RogueDesk) -> None:
    desk_stub.behaviour.required = ["given_name"]
    desk_stub.behaviour.optional = ["family_name"]
    plan = citizen.prepare(desk_stub.link())
    assert [(c.name, c.requirement) for c in plan.queries[0].options[0].claims] == [
        ("given_name", REQUIRED),
        ("family_name", OPTIONAL),
    ]
    unchanged(citizen, "wallet_claim_required", lambda: citizen.present(plan, omit=["given_name"]))
    unchanged(citizen, "wallet_omit_unknown", lambda: citizen.present(plan, omit=["birthdate"]))
    citizen.present(plan, omit=["family_name"])
    [received] = desk_stub.behaviour.received
    assert "family_name" not in received and received["given_name"] == "Ada"
    assert citizen.history()[0].withheld == ("family_name",)


def test_claims_the_desk_is_not_accredited_for_are_never_sent(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.required = ["given_name", "birthdate"]
    plan = citizen.prepare(desk_stub.link())
    claims = {c.name: c.allowed for c in plan.queries[0].options[0].claims}
    assert claims == {"given_name": True, "birthdate": False}
    assert plan.queries[0].options[0].refusal == "verifier_claims_not_allowed"
    error = unchanged(citizen, "wallet_claim_not_allowed", lambda: citizen.present(plan))
    assert "birthdate" in error.message
    assert desk_stub.behaviour.received == []


def test_an_explicit_override_sends_an_unaccredited_claim_and_says_so(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.required = ["given_name"]
    desk_stub.behaviour.optional = ["birthdate"]
    plan = citizen.prepare(desk_stub.link())
    # Optional and not allowed: leaving it out is enough.
    citizen.present(plan, omit=["birthdate"])
    assert "birthdate" not in desk_stub.behaviour.received[0]
    plan = citizen.prepare(desk_stub.link())
    citizen.present(plan, unsafe_send_unaccredited=["birthdate"])
    assert desk_stub.behaviour.received[1]["birthdate"] == "1990-12-10"
    assert citizen.history()[-1].unaccredited == ("birthdate",)


def test_request_signed_by_a_key_not_of_the_desk_did_is_refused(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.sign_with = Identity.create()
    unchanged(
        citizen,
        "oid4vp_request_signature_invalid",
        lambda: citizen.prepare(desk_stub.link()),
    )


def test_request_for_claims_no_credential_holds(citizen: Wallet, desk_stub: RogueDesk) -> None:
    desk_stub.behaviour.required = ["given_name", "passport_number"]
    unchanged(citizen, "wallet_no_match", lambda: citizen.prepare(desk_stub.link()))
    desk_stub.behaviour.required = ["given_name"]
    desk_stub.behaviour.vct = OTHER_TYPE
    unchanged(citizen, "wallet_no_match", lambda: citizen.prepare(desk_stub.link()))


def test_forged_receipt_is_refused_and_the_sending_recorded(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.receipt_signer = Identity.create()
    plan = citizen.prepare(desk_stub.link())
    with pytest.raises(Exception) as info:
        citizen.present(plan)
    assert getattr(info.value, "code", None) == "receipt_signature_invalid"
    [entry] = citizen.history()  # the claims left: the history says so, without a receipt
    assert entry.receipt is None and entry.error == "receipt_signature_invalid"
    assert entry.disclosed == ("given_name", "resident")


def test_link_and_request_naming_different_desks(
    citizen: Wallet, desk_stub: RogueDesk, ledger_world: LedgerWorld
) -> None:
    from civicid.oid4vp import client_id_for, parse_link

    link = parse_link(desk_stub.link())
    other = client_id_for(ledger_world.agency.did)
    from civicid.oid4vp import build_link

    unchanged(
        citizen,
        "wallet_client_id_mismatch",
        lambda: citizen.prepare(build_link(other, link.request_uri)),
    )


@pytest.mark.parametrize(
    "link, code",
    [
        ("openid4vp://?request_uri=https%3A%2F%2Fdesk.example%2Fr", "oid4vp_client_id_invalid"),
        (
            "openid4vp://?client_id=decentralized_identifier%3Adid%3Acivicid%3Ax",
            "oid4vp_client_id_invalid",
        ),
        ("openid4vp://?request=eyJhbGciOiJub25lIn0.e30.", "oid4vp_unsupported"),
        ("https://desk.example/?request_uri=x", "wallet_uri_invalid"),
        ("openid-credential-offer://?credential_offer=%7B%7D", "wallet_uri_invalid"),
    ],
)
def test_malformed_or_unsupported_request_links(citizen: Wallet, link: str, code: str) -> None:
    unchanged(citizen, code, lambda: citizen.prepare(link))


@pytest.mark.parametrize(
    "answer",
    [
        {"decision": "eligible"},
        {"decision": "eligible", "receipt": 7},
        {"receipt": "a.b.c"},
        {"decision": "welcome", "receipt": "a.b.c"},
    ],
)
def test_the_desks_answer_is_read_through_the_model_it_declares(
    citizen: Wallet, desk_stub: RogueDesk, answer: dict[str, object]
) -> None:
    """The direct_post answer is civicid.wire.desk.Answered (the desk's API declares it): an
    answer without a receipt, or of another form, is refused, and the sending recorded."""
    desk_stub.behaviour.answer = answer
    plan = citizen.prepare(desk_stub.link())
    with pytest.raises(Exception) as info:
        citizen.present(plan)
    assert getattr(info.value, "code", None) == "wallet_presentation_failed"
    [entry] = citizen.history()
    assert entry.receipt is None and entry.error == "wallet_presentation_failed"
    assert entry.disclosed == ("given_name", "resident")


def test_a_decision_its_signed_receipt_does_not_say_is_refused(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    """A desk that tells "not eligible" beside a receipt saying "eligible" (or the reverse)
    is refused: the history keeps what the desk signed, and that its answer disagreed."""
    desk_stub.behaviour.told_decision = "not_eligible"
    plan = citizen.prepare(desk_stub.link())
    with pytest.raises(Exception) as info:
        citizen.present(plan)
    assert getattr(info.value, "code", None) == "wallet_presentation_failed"
    assert "signed receipt says eligible" in str(info.value)
    [entry] = citizen.history()
    assert entry.decision == "eligible" and entry.receipt is not None
    assert entry.error == "wallet_presentation_failed"
