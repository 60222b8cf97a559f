"""A lying mirror is refused exactly as a lying ledger: each lie is told once by the ledger
itself and once by a mirror that followed it (a real one, serving its verified copy), and
the client — the kernel's trust package, which the issuer, the wallet and the desk use —
refuses both with the same code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from civicid.trust import Trust
from ledger.mirror import Mirror
from ledger.mirror_app import create_mirror_app
from ledger.monitor import TRUST_FILE
from tests.trust.rogue import Lie, Rogue, borrowed_grant, older_version, revocation_withheld
from tests.trust.test_rogue_ledger_questions import refused
from tests.verifier.world import NATIONAL_ID, AppTransport, World

Reach = Callable[[], httpx.BaseTransport]


@pytest.fixture(params=["ledger", "mirror"])
def reach(
    request: pytest.FixtureRequest, world: World, http: httpx.BaseTransport, tmp_path: Path
) -> Iterator[Reach]:
    """What a client reaches: the ledger, or a mirror brought up to it when reached."""
    if request.param == "ledger":
        yield lambda: http
        return
    client = LedgerClient("http://ledger.test", world.genesis.vkey, transport=http,
                          trust_file=tmp_path / "copy" / TRUST_FILE)  # fmt: skip
    mirror = Mirror(client, tmp_path / "copy")
    with TestClient(create_mirror_app(mirror, interval=None)) as served:

        def follow() -> httpx.BaseTransport:
            assert mirror.follow().error is None
            return AppTransport(served)

        yield follow
    mirror.close()
    client.close()


def lying(world: World, reach: Reach, path: str, lie: Lie) -> tuple[Trust, Rogue]:
    rogue = Rogue(reach(), path, lie)
    client = LedgerClient(
        "http://testserver", world.genesis.vkey, transport=rogue, clock=lambda: world.clock.now
    )
    return Trust(client, clock=lambda: world.clock.now), rogue


def test_a_withheld_revocation(world: World, reach: Reach) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.clock.now += 10
    world.revoke_accreditation(accreditation)
    trust, rogue = lying(world, reach, "/accreditations", revocation_withheld)
    now = world.clock.now
    refused("map_proof_invalid", lambda: trust.issuer_standing(agency.did, NATIONAL_ID, now), rogue)


def test_a_withheld_key_rotation(world: World, reach: Reach) -> None:
    old_kid = world.agency.kid
    world.clock.now += 10
    head = world.ledger.state.record(world.agency.did).current.version_id
    world.ledger.submit(world.agency.rotate(head, ledger=world.origin, now=world.clock.now)[1])
    world.clock.now += 10
    trust, rogue = lying(world, reach, f"/1.0/identifiers/{world.agency.did}", older_version)
    refused("map_proof_invalid", lambda: trust.key_in_force(old_kid, world.clock.now), rogue)


def entry_changed(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """The newest version's transaction altered by one character of its signature."""
    proof = body["didResolutionMetadata"]["proof"]
    last = proof["versions"][-1]
    text = last["transaction"]
    changed = text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]
    versions = [*proof["versions"][:-1], {**last, "transaction": changed}]
    metadata = {**body["didResolutionMetadata"], "proof": {**proof, "versions": versions}}
    return {**body, "didResolutionMetadata": metadata}


def test_a_changed_entry(world: World, reach: Reach) -> None:
    trust, rogue = lying(world, reach, f"/1.0/identifiers/{world.agency.did}", entry_changed)
    refused("inclusion_proof_invalid", lambda: trust.history(world.agency.did), rogue)


def test_an_extra_entry_of_another_subject(
    world: World, reach: Reach, http: httpx.BaseTransport
) -> None:
    stranger = world.register("agency")
    trust, rogue = lying(world, reach, "/accreditations",
                         borrowed_grant(http, world.agency.did, NATIONAL_ID))  # fmt: skip
    now = world.clock.now
    refused("ledger_answer_mismatch",
            lambda: trust.issuer_standing(stranger.did, NATIONAL_ID, now), rogue)  # fmt: skip


def test_a_stale_checkpoint(world: World, reach: Reach, http: httpx.BaseTransport) -> None:
    """The ledger rolled back, or a mirror that stopped following: the client has seen a
    newer checkpoint (from the ledger itself), and is then shown an older one."""
    source = reach()  # a mirror is up to date now, and follows no more
    old = world.ledger.checkpoint
    world.clock.now += 10
    world.register("agency")
    route: dict[str, httpx.BaseTransport | None] = {"to": http}

    def answer(request: httpx.Request) -> httpx.Response:
        to = route["to"]
        if to is not None:
            return to.handle_request(request)
        if request.url.path == "/checkpoint":  # the ledger, rolled back
            return httpx.Response(200, text=old)
        return http.handle_request(request)

    client = LedgerClient(
        "http://testserver",
        world.genesis.vkey,
        transport=httpx.MockTransport(answer),
        clock=lambda: world.clock.now,
    )
    try:
        client.checkpoint()
        route["to"] = None if source is http else source
        with pytest.raises(Error) as info:
            client.checkpoint()
        assert info.value.code == "ledger_answer_stale", info.value
    finally:
        client.close()
