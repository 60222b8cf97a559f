"""The client at the edges of what a ledger answers: catching up through a checkpoint that
is not the ledger's latest (the consistency proof must reach exactly the checkpoint shown);
"not found" believed only with a proof of absence, and only for a DID that could exist; and a
resolution error said in the client's own code (``ledger_refused``, ``ledger_failed``), the
mirror's code and words kept in details, bounded in size, whatever a mirror sends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid.errors import Error, NotFound, Unavailable
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored

ABSENT = "did:civicid:" + "a" * 32


def test_catching_up_through_an_intermediate_checkpoint(world: World) -> None:
    with mirrored(world) as mirror:
        client = mirror.client(world)
        client.checkpoint()
        world.register()
        intermediate = world.ledger.checkpoint  # signed at this size, never the latest again
        world.register()
        world.register()
        accepted = client.accept_checkpoint(intermediate)
        assert accepted.size == world.ledger.size - 2 and client.trusted == accepted
        assert client.checkpoint().size == world.ledger.size
        client.close()


def test_not_found_comes_with_its_proof(world: World) -> None:
    with mirrored(world) as mirror:
        client = mirror.client(world)
        with pytest.raises(NotFound) as info:
            client.resolve(ABSENT)
        assert info.value.code == "did_not_found"
        assert info.value.message == f"{ABSENT} is not on this ledger"  # the ledger's words

        def unproven(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
            answer["didResolutionMetadata"]["proof"] = {"checkpoint": "x"}  # no stateMap
            return answer

        mirror.rewrites["/1.0/identifiers/"] = unproven
        with pytest.raises(Error) as unproven_info:
            mirror.client(world).resolve(ABSENT)
        assert unproven_info.value.code == "ledger_answer_unproven"
        client.close()


def test_an_invalid_did_needs_no_proof_of_absence(world: World) -> None:
    """Only "not found" is a claim about the state; a malformed DID is a refusal, the
    ledger's code kept."""
    with mirrored(world) as mirror:
        client = mirror.client(world)
        with pytest.raises(Unavailable) as info:
            client.resolve("did:civicid:UPPER")
        assert info.value.code == "ledger_refused"
        assert info.value.details["ledger_code"] == "did_invalid"
        assert info.value.details["ledger_status"] == 400
        client.close()


def test_a_mirrors_error_is_bounded(world: World) -> None:
    def bloated(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        error = answer["didResolutionMetadata"]["error"]
        error["code"], error["title"] = "x" * 300, "y" * 3000
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites["/1.0/identifiers/"] = bloated
        with pytest.raises(Error) as info:
            mirror.client(world).resolve("did:civicid:UPPER")
        assert info.value.code == "ledger_refused"
        assert info.value.details["ledger_code"] == "x" * 100
        assert info.value.details["ledger_message"] == "y" * 500


def test_an_error_without_a_title_says_nothing_of_its_own(world: World) -> None:
    def untitled(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        del answer["didResolutionMetadata"]["error"]["title"]
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites["/1.0/identifiers/"] = untitled
        with pytest.raises(Error) as info:
            mirror.client(world).resolve("did:civicid:UPPER")
        assert info.value.code == "ledger_refused"
        assert info.value.details["ledger_code"] == "did_invalid"
        assert info.value.details["ledger_message"] == ""


def test_an_error_status_outside_the_known_ones(world: World) -> None:
    """DID Resolution answers 501 for another method: the client's ``ledger_failed``, the
    ledger's code kept."""
    with mirrored(world) as mirror:
        with pytest.raises(Error) as info:
            mirror.client(world).resolve("did:web:example.com")
        assert info.value.code == "ledger_failed"
        assert info.value.details["ledger_code"] == "did_method_not_supported"
