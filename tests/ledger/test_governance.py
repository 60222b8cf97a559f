"""Accreditations on the ledger, and governance as a whole (replay, audit). Every bad input
is refused with its own code and leaves the log and the state exactly as they were."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.entitlements import redeem_body
from civicid.identity import Identity
from civicid.issuance_rules import publish_body, withdraw_body
from ledger import registry
from ledger.setup import open_ledger
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, grant, refused


def test_grant_list_and_revoke(world: World, agency: Identity, desk: Identity) -> None:
    desk_acc = world.accredit(desk, claims={NATIONAL_ID: ["given_name", "age_over_18"]})
    size, now = world.ledger.size, world.clock.now
    assert registry.issuer_accredited(world.ledger.state, agency.did, NATIONAL_ID, now, size).body[
        "accredited"
    ]
    allowed = registry.verifier_allowed(
        world.ledger.state, desk.did, NATIONAL_ID, ("age_over_18",), now, size
    )
    assert allowed.body["accreditation"] == desk_acc
    world.clock.now += 10
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(desk_acc, "moved"))
    size = world.ledger.size
    later = registry.verifier_allowed(
        world.ledger.state, desk.did, NATIONAL_ID, ("age_over_18",), world.clock.now, size
    )
    assert later.body["reason"] == "accreditation_revoked" and len(later.seqs) == 2
    before = registry.verifier_allowed(
        world.ledger.state, desk.did, NATIONAL_ID, ("age_over_18",), now, size
    )
    assert before.body["accredited"]  # "at time T": the revocation counts from its iat on
    listed = registry.list_accreditations(world.ledger.state, world.clock.now, size).body
    assert [a["status"] for a in listed["accreditations"]] == ["active", "revoked"]


def test_accreditation_not_signed_by_governance(world: World, agency: Identity) -> None:
    other = world.register("agency")
    refused(
        world,
        world.sign(agency, tx.ACCREDITATION_GRANT, grant(world, other)),
        "signer_not_governance",
    )


def test_revocation_not_signed_by_governance(world: World, agency: Identity) -> None:
    acc = world.ledger.state.accreditations_of[agency.did][0]
    text = world.sign(agency, tx.ACCREDITATION_REVOKE, revocation_body(acc, "self-revoked"))
    refused(world, text, "signer_not_governance")


def test_governance_key_outside_assertion_method(world: World) -> None:
    """A key governance lists for authentication only cannot grant."""
    document = json.loads(json.dumps(world.governance.document))
    document["assertionMethod"] = []
    document["authentication"] = [world.governance.kid]
    world.submit_as(
        world.governance,
        tx.DID_UPDATE,
        {"did": world.governance.did, "prev": world.head(world.governance), "document": document},
    )
    other = Identity.create()
    text = world.sign(world.governance, tx.ACCREDITATION_GRANT, grant(world, other))
    refused(world, text, "key_not_authorized")


def test_duplicate_accreditation_id(world: World, agency: Identity) -> None:
    acc = world.ledger.state.accreditations_of[agency.did][0]
    text = world.sign(
        world.governance, tx.ACCREDITATION_GRANT, grant(world, agency, accreditation=acc)
    )
    refused(world, text, "accreditation_exists")


@pytest.mark.parametrize(
    "role, kind_overrides",
    [
        ("service-desk", {}),  # an issuer accreditation for a desk
        ("agency", {"kind": "verifier", "claims": {NATIONAL_ID: ["given_name"]}}),
    ],
)
def test_accreditation_for_the_wrong_role(
    world: World, role: str, kind_overrides: dict[str, Any]
) -> None:
    who = world.register(role)
    body = grant(world, who, **kind_overrides)
    if "claims" in kind_overrides:
        body.pop("credentialTypes")
    refused(
        world,
        world.sign(world.governance, tx.ACCREDITATION_GRANT, body),
        "accreditation_subject_role",
    )


def test_accreditation_of_an_unknown_or_deactivated_did(world: World) -> None:
    stranger = Identity.create()
    refused(
        world,
        world.sign(world.governance, tx.ACCREDITATION_GRANT, grant(world, stranger)),
        "accreditation_subject_unknown",
    )
    gone = world.register("agency")
    world.ledger.submit(
        gone.deactivate_tx(world.head(gone), ledger=world.origin, now=world.clock.now)
    )
    refused(
        world,
        world.sign(world.governance, tx.ACCREDITATION_GRANT, grant(world, gone)),
        "did_deactivated",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"accreditation": "x"},
        {"credentialTypes": []},
        {"validFrom": 0, "validUntil": 1},  # already over
        {"validUntil": 10**12},  # longer than five years
        {"purpose": "p" * 5000},
        {"legalBasis": ""},
    ],
)
def test_malformed_accreditation(world: World, overrides: dict[str, Any]) -> None:
    who = world.register("agency")
    body = grant(world, who, **overrides)
    refused(
        world, world.sign(world.governance, tx.ACCREDITATION_GRANT, body), "accreditation_invalid"
    )


def test_revoking_unknown_or_revoked_accreditations(world: World, agency: Identity) -> None:
    text = world.sign(
        world.governance, tx.ACCREDITATION_REVOKE, revocation_body("acc-does-not-exist", "typo")
    )
    refused(world, text, "accreditation_not_found")
    acc = world.ledger.state.accreditations_of[agency.did][0]
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(acc, "audit"))
    again = world.sign(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(acc, "again"))
    refused(world, again, "accreditation_already_revoked")


# -- replay -----------------------------------------------------------------------------


def test_reopening_rebuilds_the_same_governance_state(
    world: World, agency: Identity, desk: Identity
) -> None:
    acc = world.accredit(desk, claims={NATIONAL_ID: ["given_name"]})
    trust.register_type(world, agency)
    trust.publish(world, agency)
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(acc, "closed"))
    state = world.ledger.state
    world.ledger.close()
    reopened = open_ledger(world.root, clock=world.clock)
    try:
        assert reopened.state.accreditations == state.accreditations
        assert reopened.state.accreditations_of == state.accreditations_of
        assert reopened.state.credential_types == state.credential_types
        assert reopened.state.status_lists == state.status_lists
    finally:
        reopened.close()
    world.ledger = open_ledger(world.root, clock=world.clock)


def test_audit_passes_on_a_log_with_every_transaction_type(
    world: World, agency: Identity, desk: Identity
) -> None:
    from ledger.audit import audit

    acc = world.accredit(desk, claims={NATIONAL_ID: ["given_name"]})
    trust.register_type(world, agency)
    trust.publish(world, agency)
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(acc, "closed"))
    successor, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    world.clock.now += 60  # the rotated key signs the next list
    trust.publish(world, successor, text=trust.token(successor, now=world.clock.now))
    # An issuance rule, its withdrawal, and a redemption of a single-use type.
    voucher = "https://civicid.example/vct/food-voucher"
    world.accredit(successor, vcts=[voucher])
    world.accredit(desk, claims={voucher: ["given_name"]})
    single_use = trust.type_body(voucher, metadata=trust.metadata(voucher, civicid_single_use=True))
    world.submit_as(successor, tx.CREDENTIAL_TYPE, single_use)
    policy = {"title": "Voucher", "purpose": "Food aid", "credential_types": [NATIONAL_ID],
              "required_claims": ["given_name"]}  # fmt: skip
    rule = publish_body(name="food-aid", version=1, vct=voucher, policy=policy)
    world.submit_as(successor, tx.ISSUANCE_RULE, rule)
    world.submit_as(successor, tx.ISSUANCE_RULE_WITHDRAW,
                    withdraw_body(name="food-aid", version=2, reason="ended"))  # fmt: skip
    world.submit_as(desk, tx.ENTITLEMENT_REDEEM,
                    redeem_body(uri=trust.LIST_URI, idx=9, vct=voucher, number=1))  # fmt: skip
    world.ledger.submit(
        desk.deactivate_tx(world.head(desk), ledger=world.origin, now=world.clock.now)
    )
    report = audit(world.root / "ledger", checkpoint=world.ledger.checkpoint)
    assert report.checkpoint_verified and report.size == world.ledger.size
    assert set(report.counts) == set(tx.TX_TYPES)
    assert report.counts[tx.STATUS_LIST] == 2
