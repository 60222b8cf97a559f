"""Attack: a mirror answers "what is type A" with genuine, proven entries that are not A's
registration: an entry missing from the answer, another kind of entry, or type B's
registration. Each is refused with ``ledger_answer_mismatch`` by the check made for it (the
message says which), before anything of the answer is believed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.encoding import b64_encode
from civicid.errors import Error
from civicid.identity import Identity
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import BENEFIT, NATIONAL_ID

Rewrite = Callable[[httpx.Request, dict[str, Any]], dict[str, Any]]


def proven_entry(world: World, seq: int, size: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "transaction": world.ledger.entry(seq).decode("ascii"),
        "inclusion": [b64_encode(h) for h in world.ledger.inclusion_proof(seq, size)],
    }


def pointing_at(world: World, seq: int) -> Rewrite:
    def rewrite(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer["entries"] = [*answer["entries"], proven_entry(world, seq, answer["treeSize"])]
        answer["seq"] = seq
        return answer

    return rewrite


def refused_with(world: World, rewrite: Rewrite, message: str) -> None:
    with mirrored(world) as mirror:
        honest = mirror.client(world)
        assert honest.credential_type(NATIONAL_ID).vct == NATIONAL_ID
        mirror.rewrites["/credential-types"] = rewrite
        with pytest.raises(Error) as info:
            mirror.client(world).credential_type(NATIONAL_ID)
        assert info.value.code == "ledger_answer_mismatch"
        assert message in info.value.message
        honest.close()


@pytest.fixture
def registered(world: World) -> Identity:
    agency = world.register()
    world.accredit(agency, vcts=[NATIONAL_ID, BENEFIT])
    trust.register_type(world, agency, NATIONAL_ID)
    return agency


def test_the_registration_is_not_in_the_answer(world: World, registered: Identity) -> None:
    def missing(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer["seq"] = answer["treeSize"] + 5
        return answer

    refused_with(world, missing, "is not a credential type registration")


def test_another_kind_of_entry_naming_the_type(world: World, registered: Identity) -> None:
    body = {"uri": trust.LIST_URI, "token": trust.token(registered, now=world.clock.now)}
    body.update(vct=NATIONAL_ID, metadata=trust.metadata(NATIONAL_ID), schema=trust.SCHEMA)
    seq = world.submit_as(registered, tx.STATUS_LIST, body).seq
    refused_with(world, pointing_at(world, seq), "is not a credential type registration")


def test_another_types_registration(world: World, registered: Identity) -> None:
    seq = trust.register_type(world, registered, BENEFIT).seq
    refused_with(world, pointing_at(world, seq), "registers another type")
