"""A rogue ledger against every question of the kernel's trust package, the one place the
issuer, the wallet and the verifier believe the ledger: the newest entry withheld (a key
rotated or a DID deactivated, a type updated, a list updated, an accreditation revoked) is
refused with ``map_proof_invalid``; another subject's genuine grant with
``ledger_answer_mismatch``. The issuer's own view refuses the same lie with the same code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.status_list import STATUS_INVALID
from civicid.trust import Trust
from issuer.trust import LedgerView
from tests.trust.rogue import (
    Lie,
    Rogue,
    earlier_entry,
    genuine,
    item_at,
    older_version,
    revocation_withheld,
)
from tests.verifier.world import BENEFIT, LIST_URI, NATIONAL_ID, World, type_body

HOUR = 3600


@pytest.fixture
def rogue_trust(world: World, http: httpx.BaseTransport) -> Iterator[Any]:
    clients: list[LedgerClient] = []

    def make(path: str, lie: Lie) -> tuple[Trust, Rogue]:
        rogue = Rogue(http, path, lie)
        client = LedgerClient("http://testserver", world.genesis.vkey, transport=rogue,
                              clock=lambda: world.clock.now)  # fmt: skip
        clients.append(client)
        return Trust(client, clock=lambda: world.clock.now), rogue

    yield make
    for client in clients:
        client.close()


def refused(code: str, ask: Any, rogue: Rogue) -> None:
    with pytest.raises(Error) as info:
        ask()
    assert info.value.code == code, info.value
    assert rogue.lied, "the lie was never told: the test asks the wrong question"


def rotated(world: World) -> Identity:
    head = world.ledger.state.record(world.agency.did).current.version_id
    new, update = world.agency.rotate(head, ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    return new


def test_a_withheld_key_rotation_is_refused(world: World, rogue_trust: Any) -> None:
    old_kid = world.agency.kid
    world.clock.now += 10
    rotated(world)
    world.clock.now += 10
    trust, rogue = rogue_trust(f"/1.0/identifiers/{world.agency.did}", older_version)
    refused("map_proof_invalid", lambda: trust.key_in_force(old_kid, world.clock.now), rogue)


def test_a_withheld_deactivation_is_refused(world: World, rogue_trust: Any) -> None:
    agency = world.register("agency")
    head = world.ledger.state.record(agency.did).current.version_id
    world.clock.now += 10
    world.ledger.submit(agency.deactivate_tx(head, ledger=world.origin, now=world.clock.now))
    trust, rogue = rogue_trust(f"/1.0/identifiers/{agency.did}", older_version)
    refused("map_proof_invalid", lambda: trust.history(agency.did), rogue)


def test_a_withheld_type_update_is_refused(
    world: World, rogue_trust: Any, http: httpx.BaseTransport
) -> None:
    first = world.ledger.state.credential_types[NATIONAL_ID][-1].seq
    body = type_body()
    body["metadata"] = {**body["metadata"], "name": "National identity credential, v2"}
    world.clock.now += 10
    world.submit(world.agency, tx.CREDENTIAL_TYPE, body)

    def fields(entry: tx.Transaction) -> dict[str, Any]:
        return {"metadata": entry.body["metadata"], "schema": entry.body["schema"]}

    trust, rogue = rogue_trust("/credential-types", earlier_entry(http, first, fields))
    refused("map_proof_invalid", lambda: trust.credential_type(NATIONAL_ID), rogue)


def test_a_withheld_list_update_is_refused(
    world: World, rogue_trust: Any, http: httpx.BaseTransport
) -> None:
    first = world.ledger.state.status_lists[LIST_URI][-1].seq
    world.clock.now += 10
    world.status.set(1, STATUS_INVALID)
    world.publish_status()

    def fields(entry: tx.Transaction) -> dict[str, Any]:
        return {"token": entry.body["token"]}

    trust, rogue = rogue_trust("/status-lists", earlier_entry(http, first, fields))
    refused("map_proof_invalid",
            lambda: trust.status_list(LIST_URI, issuer=world.agency.did), rogue)  # fmt: skip


def test_a_withheld_revocation_is_refused(world: World, rogue_trust: Any) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.clock.now += 10
    world.revoke_accreditation(accreditation)
    trust, rogue = rogue_trust("/accreditations", revocation_withheld)
    now = world.clock.now
    refused("map_proof_invalid", lambda: trust.issuer_standing(agency.did, NATIONAL_ID, now), rogue)


def test_a_desk_standing_on_another_desks_grant_is_refused(
    world: World, rogue_trust: Any, http: httpx.BaseTransport
) -> None:
    stranger = world.register("service-desk")

    def as_verifier(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
        if request.url.params.get("subject") != stranger.did:
            return None
        params = {**request.url.params, "subject": world.desk.did}
        return {**genuine(http, request.url.path, **params), "accredited": True}

    trust, rogue = rogue_trust("/accreditations/verifier", as_verifier)
    claims = ("resident",)
    refused("ledger_answer_mismatch",
            lambda: trust.desk_standing(stranger.did, NATIONAL_ID, claims), rogue)  # fmt: skip


def test_the_issuer_refuses_to_issue_on_a_withheld_revocation(
    world: World, http: httpx.BaseTransport
) -> None:
    """The agency's own accreditation was revoked; a mirror hides it from the issuer."""
    accreditation = next(
        a.grant.id for a in world.ledger.state.accreditations.values()
        if a.grant.subject == world.agency.did and NATIONAL_ID in a.grant.credential_types
    )  # fmt: skip
    world.clock.now += 10
    world.revoke_accreditation(accreditation)
    rogue = Rogue(http, "/accreditations", revocation_withheld)
    client = LedgerClient("http://testserver", world.genesis.vkey, transport=rogue,
                          clock=lambda: world.clock.now)  # fmt: skip
    view = LedgerView(client, world.agency, clock=lambda: world.clock.now, accreditation_ttl=60)
    try:
        with pytest.raises(Error) as info:
            view.require_accredited(NATIONAL_ID)
    finally:
        view.close()
    assert info.value.code == "map_proof_invalid"
    assert rogue.lied


def test_a_list_signed_over_another_agencys_credentials_is_refused(
    world: World, rogue_trust: Any
) -> None:
    """Genuine, current and proven, but the credential's issuer does not own it."""
    other = world.register("agency")
    world.accredit(other, vcts=[NATIONAL_ID])
    trust, rogue = rogue_trust("/status-lists", lambda request, body: dict(body))
    refused("status_list_not_issuers",
            lambda: trust.status_list(LIST_URI, issuer=other.did), rogue)  # fmt: skip


def test_the_issuers_of_a_type_are_the_agencies_governance_accredited_for_it(
    world: World, rogue_trust: Any, http: httpx.BaseTransport
) -> None:
    """The ledger's list of grants gives the candidates: of the kind asked, for the type
    asked, each named once; an entry in it that is not governance's is refused."""
    other = world.register("agency")
    world.accredit(other, vcts=[BENEFIT])
    world.accredit(world.agency, vcts=[NATIONAL_ID])  # a second grant: still one agency
    trust, _ = rogue_trust("/accreditations", lambda request, body: None)
    registry, now = trust.client.registry, world.clock.now
    assert trust.issuers_for(NATIONAL_ID) == (world.agency.did,)
    assert registry.granted_subjects("issuer", BENEFIT, now) == (world.agency.did, other.did)
    assert registry.granted_subjects("verifier", NATIONAL_ID, now) == (world.desk.did,)
    registration = world.ledger.state.credential_types[NATIONAL_ID][-1].seq

    def with_the_agencys_entry(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
        entries = [*body["entries"], item_at(http, registration, body["treeSize"])]
        return {**body, "entries": sorted(entries, key=lambda e: int(e["seq"]))}

    trust, rogue = rogue_trust("/accreditations", with_the_agencys_entry)
    refused("ledger_answer_mismatch", lambda: trust.issuers_for(NATIONAL_ID), rogue)
