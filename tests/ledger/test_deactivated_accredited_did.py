"""A deactivated accredited DID: its accreditations stop counting from its deactivation,
in the ledger's answers (and list) and in the client's own verdict, which the client
computes from the subject's verified history rather than taking the ledger's word."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid.errors import Error
from civicid.identity import Identity
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import NATIONAL_ID


def deactivate(world: World, who: Identity) -> int:
    world.clock.now += 60
    world.ledger.submit(
        who.deactivate_tx(world.head(who), ledger=world.origin, now=world.clock.now)
    )
    return world.clock.now


@pytest.mark.parametrize("role", ["agency", "service-desk"])
def test_accreditations_end_at_deactivation(world: World, role: str) -> None:
    who = world.register(role)
    before = world.clock.now
    if role == "agency":
        world.accredit(who, vcts=[NATIONAL_ID])
    else:
        world.accredit(who, claims={NATIONAL_ID: ["given_name"]})
    ended = deactivate(world, who)
    with mirrored(world) as mirror:
        client = mirror.client(world)

        def ask(at: int) -> Any:
            if role == "agency":
                return client.issuer_accredited(who.did, NATIONAL_ID, at)
            return client.verifier_allowed(who.did, NATIONAL_ID, ["given_name"], at)

        assert ask(before).accredited  # before its deactivation, it was
        answer = ask(ended)
        assert not answer.accredited
        assert answer.standing.reason == "accreditation_subject_deactivated"
        with pytest.raises(Error) as info:
            answer.require()
        assert info.value.code == "accreditation_subject_deactivated"
        listed = mirror.upstream.get("/accreditations", params={"subject": who.did}).json()
        assert [a["status"] for a in listed["accreditations"]] == ["deactivated"]


def test_a_ledger_hiding_the_deactivation_in_its_verdict_is_caught(world: World) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    ended = deactivate(world, agency)

    def lie(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer["accredited"], answer["reason"] = True, None
        answer["accreditation"] = answer["accreditation"] or "acc-anything"
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites["/accreditations"] = lie
        with pytest.raises(Error) as info:
            mirror.client(world).issuer_accredited(agency.did, NATIONAL_ID, ended)
        assert info.value.code == "ledger_answer_mismatch"
