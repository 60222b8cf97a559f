"""Attack: a mirror answers a status list question with genuine, proven entries that do not
answer it: another list's publish, an entry of another kind that names the list, or, asked
for the list as it stood at an earlier tree size, a later version (one that revokes, or one
that un-suspends). Each is refused with ``ledger_answer_mismatch``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.encoding import b64_encode
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import LIST_URI

OTHER_URI = "https://agency.example/status/2"

Rewrite = Callable[[httpx.Request, dict[str, Any]], dict[str, Any]]


def proven_entry(world: World, seq: int, size: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "transaction": world.ledger.entry(seq).decode("ascii"),
        "inclusion": [b64_encode(h) for h in world.ledger.inclusion_proof(seq, size)],
    }


def adding(world: World, seq: int) -> Rewrite:
    def rewrite(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        answer["entries"] = [*answer["entries"], proven_entry(world, seq, answer["treeSize"])]
        return answer

    return rewrite


def asked(world: World, rewrite: Rewrite, ask: Callable[[LedgerClient], object]) -> Error:
    with mirrored(world) as mirror:
        client = mirror.client(world)
        ask(client)  # honest first
        mirror.rewrites["/status-lists"] = rewrite
        with pytest.raises(Error) as info:
            ask(mirror.client(world))
        client.close()
    return info.value


def latest(client: LedgerClient, world: World) -> object:
    return client.status_list(LIST_URI, now=world.clock.now)


def test_another_lists_publish_in_the_answer(world: World, agency: Identity) -> None:
    trust.publish(world, agency)
    other = trust.publish(
        world, agency, OTHER_URI, trust.token(agency, OTHER_URI, now=world.clock.now)
    )
    error = asked(world, adding(world, other.seq), lambda c: latest(c, world))
    assert error.code == "ledger_answer_mismatch"


def test_another_kind_of_entry_naming_the_list(world: World, agency: Identity) -> None:
    trust.publish(world, agency)
    body = {**trust.type_body(), "uri": LIST_URI}  # a type registration that names the list
    named = world.submit_as(agency, tx.CREDENTIAL_TYPE, body)
    error = asked(world, adding(world, named.seq), lambda c: latest(c, world))
    assert error.code == "ledger_answer_mismatch"


def test_a_later_version_served_as_an_earlier_one(world: World, agency: Identity) -> None:
    first = trust.publish(world, agency)
    world.clock.now += 10
    second = trust.publish(
        world, agency, text=trust.token(agency, now=world.clock.now, revoked=(3, 9))
    )
    world.register()  # the log grows past the second version

    def later(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        size = answer["treeSize"]
        answer["entries"] = [proven_entry(world, s, size) for s in (first.seq, second.seq)]
        answer["seq"] = second.seq
        return answer

    # As of tree size second.seq, the list was the first version: the second is not in it.
    error = asked(world, later, lambda c: c.status_list(LIST_URI, second.seq, now=world.clock.now))
    assert error.code == "ledger_answer_mismatch"


def test_the_answer_is_about_the_list_asked_for(world: World, agency: Identity) -> None:
    trust.publish(world, agency)
    with mirrored(world) as mirror:
        client = mirror.client(world)
        proven = latest(client, world)
        assert proven.uri == LIST_URI and proven.owner == agency.did  # type: ignore[attr-defined]
        assert proven.checkpoint.size == world.ledger.size  # type: ignore[attr-defined]
        client.close()
