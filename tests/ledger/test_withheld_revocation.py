"""A withheld revocation (or newer version): a rogue mirror serves the current checkpoint but
leaves out the entry that changed the answer: an accreditation's revocation, a status
list's newer token, a DID's rotation or deactivation. Inclusion proofs alone cannot show
what is missing; the state map proof in every "latest" answer does, since the checkpoint
signs the map's root and the map holds the latest entry about each name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.errors import Error
from civicid.identity import Identity
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.mirror import Mirror, mirrored
from tests.ledger.trust import LIST_URI, NATIONAL_ID


def refused(ask: Any, code: str) -> None:
    with pytest.raises(Error) as info:
        ask()
    assert info.value.code == code, info.value


def test_a_withheld_accreditation_revocation_is_caught(world: World) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    revoked = world.submit_as(
        world.governance, tx.ACCREDITATION_REVOKE, revocation_body(accreditation, "withdrawn")
    ).seq

    def withhold(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer["entries"] = [e for e in answer["entries"] if e["seq"] != revoked]
        answer.update(accredited=True, accreditation=accreditation, reason=None)
        return answer

    def strip(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer = withhold(request, answer)
        del answer["stateMap"]
        return answer

    with mirrored(world) as mirror:
        honest = mirror.client(world)
        assert not honest.issuer_accredited(agency.did, NATIONAL_ID, world.clock.now).accredited
        mirror.rewrites["/accreditations"] = withhold
        ask = lambda: mirror.client(world).issuer_accredited(  # noqa: E731
            agency.did, NATIONAL_ID, world.clock.now
        )
        refused(ask, "map_proof_invalid")
        mirror.rewrites["/accreditations"] = strip
        refused(ask, "ledger_answer_mismatch")


def test_a_withheld_newer_status_list_is_caught(world: World, agency: Identity) -> None:
    first = trust.publish(world, agency).seq
    world.clock.now += 10
    trust.publish(world, agency, text=trust.token(agency, now=world.clock.now, revoked=(3, 9)))

    def older(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer["entries"] = [e for e in answer["entries"] if e["seq"] == first]
        answer["seq"] = first
        return answer

    with mirrored(world) as mirror:
        assert mirror.client(world).status_list(LIST_URI, now=world.clock.now).status(9) == 1
        mirror.rewrites["/status-lists"] = older
        refused(
            lambda: mirror.client(world).status_list(LIST_URI, now=world.clock.now),
            "map_proof_invalid",
        )


@pytest.mark.parametrize("change", ["rotation", "deactivation"])
def test_a_withheld_did_version_is_caught(world: World, change: str) -> None:
    agency = world.register("agency")
    world.clock.now += 5
    if change == "rotation":
        _, text = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    else:
        text = agency.deactivate_tx(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(text)

    def old_head(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        proof = answer["didResolutionMetadata"]["proof"]
        proof["versions"] = proof["versions"][:1]
        proof.update(proof["versions"][0])
        answer["didDocument"] = agency.document
        answer["didDocumentMetadata"]["versionId"] = (
            world.ledger.state.record(agency.did).versions[0].version_id
        )
        answer["didDocumentMetadata"].pop("deactivated", None)
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites[f"/1.0/identifiers/{agency.did}"] = old_head
        client = mirror.client(world)
        refused(lambda: client.resolve(agency.did), "map_proof_invalid")
        refused(lambda: client.key_in_force(agency.kid, world.clock.now), "map_proof_invalid")


def test_not_found_needs_a_proof_of_absence(world: World, agency: Identity) -> None:
    """A ledger cannot deny that a DID, type or list exists: "not found" comes with the proof
    that the map holds nothing for the name, and an existing one has no such proof."""
    nobody = Identity.create()
    with mirrored(world) as mirror:
        client = mirror.client(world)
        refused(lambda: client.resolve(nobody.did), "did_not_found")
        refused(
            lambda: client.credential_type("https://nowhere.example/t"), "credential_type_not_found"
        )
        refused(lambda: client.status_list("https://nowhere.example/s/1"), "status_list_not_found")

        def deny(request: httpx.Request, answer: dict[str, Any]) -> Any:
            # Pass off the proof of another DID's absence as this one's.
            fake = Mirror.fetch(
                mirror,
                httpx.Request(
                    "GET",
                    str(mirror.upstream.base_url) + f"/1.0/identifiers/{nobody.did}",
                    params={"withProof": "true"},
                ),
            ).json()
            proof = fake["didResolutionMetadata"]["proof"]
            proof["stateMap"] = {f"did:{agency.did}": proof["stateMap"][f"did:{nobody.did}"]}
            return 404, fake

        mirror.rewrites[f"/1.0/identifiers/{agency.did}"] = deny
        refused(lambda: mirror.client(world).resolve(agency.did), "map_proof_invalid")
