"""Credential types on the ledger: registered by an issuer accredited for them; bad
metadata and schemas refused by code, the log and state unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.identity import Identity
from ledger import registry
from tests.conftest import load_vector
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import BENEFIT, DAY, LIST_URI, NATIONAL_ID, grant, refused


def test_register_and_version_a_type(world: World, agency: Identity) -> None:
    first = trust.register_type(world, agency)
    world.clock.now += 60
    second = world.submit_as(
        agency, tx.CREDENTIAL_TYPE, trust.type_body(metadata=trust.metadata(name="National ID, v2"))
    )
    versions = world.ledger.state.credential_types[NATIONAL_ID]
    assert [v.number for v in versions] == [1, 2]
    assert [v.seq for v in versions] == [first.seq, second.seq]
    answer = registry.credential_type(world.ledger.state, NATIONAL_ID, world.ledger.size)
    assert answer.body["metadata"]["name"] == "National ID, v2" and answer.body["version"] == 2


def test_type_from_an_issuer_not_accredited_for_it(world: World, agency: Identity) -> None:
    refused(
        world,
        world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body(BENEFIT)),
        "issuer_not_accredited",
    )
    stranger = world.register("agency")
    refused(
        world, world.sign(stranger, tx.CREDENTIAL_TYPE, trust.type_body()), "issuer_not_accredited"
    )


def test_type_from_a_verifier_is_refused(world: World, desk: Identity) -> None:
    world.accredit(desk, claims={NATIONAL_ID: ["given_name"]})
    refused(world, world.sign(desk, tx.CREDENTIAL_TYPE, trust.type_body()), "issuer_not_accredited")


def test_type_owned_by_another_issuer(world: World, agency: Identity) -> None:
    trust.register_type(world, agency)
    rival = world.register("agency")
    world.accredit(rival, vcts=[NATIONAL_ID])
    refused(
        world, world.sign(rival, tx.CREDENTIAL_TYPE, trust.type_body()), "credential_type_owned"
    )


def test_expired_accreditation_is_not_usable(world: World) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID], days=1)
    world.clock.now += DAY  # validUntil is exclusive
    refused(
        world, world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body()), "accreditation_expired"
    )
    text = world.sign(
        agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": trust.token(agency, now=world.clock.now)}
    )
    refused(world, text, "accreditation_expired")


def test_accreditation_not_yet_valid(world: World) -> None:
    agency = world.register("agency")
    body = grant(world, agency, validFrom=world.clock.now + DAY)
    world.submit_as(world.governance, tx.ACCREDITATION_GRANT, body)
    refused(
        world,
        world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body()),
        "accreditation_not_yet_valid",
    )


def test_revoked_accreditation_cannot_be_used_even_backdated(
    world: World, agency: Identity
) -> None:
    acc = world.ledger.state.accreditations_of[agency.did][0]
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(acc, "fraud"))
    refused(
        world, world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body()), "accreditation_revoked"
    )
    backdated = agency.sign(
        tx.CREDENTIAL_TYPE, trust.type_body(), ledger=world.origin, now=world.clock.now - 200
    )  # within the clock skew, before it
    refused(world, backdated, "accreditation_revoked")


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "objekt"}, id="not-json-schema"),
        pytest.param({"$ref": "https://evil.example/s.json"}, id="remote-ref"),
        pytest.param("a string", id="not-an-object"),
    ],
)
def test_type_with_invalid_schema(world: World, agency: Identity, schema: Any) -> None:
    refused(
        world,
        world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body(schema=schema)),
        "type_schema_invalid",
    )


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(trust.metadata(vct=BENEFIT), id="vct-differs"),
        pytest.param(trust.metadata(claims=[{"path": ["cnf"], "sd": "always"}]), id="sd-cnf"),
        pytest.param(trust.metadata(claims=[{"path": ["status"]}]), id="status-default-sd"),
        pytest.param(trust.metadata(claims=[{"path": ["iss"], "sd": "allowed"}]), id="sd-iss"),
        pytest.param(trust.metadata(claims=[{"path": ["vct"], "sd": "always"}]), id="sd-vct"),
        pytest.param(trust.metadata(display=[{"locale": "en"}]), id="display-without-name"),
        pytest.param("not an object", id="not-an-object"),
    ],
)
def test_type_with_invalid_metadata(world: World, agency: Identity, metadata: Any) -> None:
    body = trust.type_body(metadata=metadata)
    refused(world, world.sign(agency, tx.CREDENTIAL_TYPE, body), "type_metadata_invalid")


def test_invalid_vct(world: World, agency: Identity) -> None:
    refused(
        world,
        world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body(vct="national id")),
        "vct_invalid",
    )


def test_extending_types(world: World) -> None:
    """§5.4: the extended type must be on the ledger; §7.4 no cycles; §5.6.5.1 promises kept,
    here with the spec's own §5.6.5.2 base and child documents."""
    examples = {
        v["id"]: v["metadata"]
        for v in load_vector("sd-jwt/sd-jwt-vc-type-metadata-examples.json")["vectors"]
    }
    base, child = examples["type-metadata-5.6.5.2-base"], examples["type-metadata-5.6.5.2-child"]
    agency = world.register("agency")
    world.accredit(agency, vcts=[base["vct"], child["vct"]])
    child_body = trust.type_body(child["vct"], metadata=child)
    refused(world, world.sign(agency, tx.CREDENTIAL_TYPE, child_body), "type_extends_unknown")
    world.submit_as(agency, tx.CREDENTIAL_TYPE, trust.type_body(base["vct"], metadata=base))
    world.submit_as(agency, tx.CREDENTIAL_TYPE, child_body)
    cyclic = {**base, "extends": child["vct"]}
    refused(
        world,
        world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body(base["vct"], metadata=cyclic)),
        "type_extends_cycle",
    )
    strict = {**base, "claims": [{"path": ["name"], "sd": "never"}]}
    world.submit_as(agency, tx.CREDENTIAL_TYPE, trust.type_body(base["vct"], metadata=strict))
    loose = {**child, "claims": [{"path": ["name"], "sd": "always"}]}
    refused(
        world,
        world.sign(agency, tx.CREDENTIAL_TYPE, trust.type_body(child["vct"], metadata=loose)),
        "type_metadata_invalid",
    )
