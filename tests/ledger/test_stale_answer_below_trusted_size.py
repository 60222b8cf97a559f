"""A stale answer below the trusted size: a client that already trusted the checkpoint
holding a revocation is served the pre-revocation answer, proven against the older
(genuine, correctly signed) checkpoint. It is refused: nothing older than what the client
trusts is believed, so a revocation once seen cannot be rolled back."""

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
from tests.ledger.mirror import mirrored
from tests.ledger.trust import LIST_URI, NATIONAL_ID


def test_the_pre_revocation_trust_answer_is_refused(world: World) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    with mirrored(world) as mirror:
        client = mirror.client(world)
        assert client.issuer_accredited(agency.did, NATIONAL_ID, world.clock.now).accredited
        old = mirror.upstream.get(
            "/accreditations", params={"subject": agency.did, "vct": NATIONAL_ID}
        ).json()
        revocation = revocation_body(accreditation, "licence withdrawn")
        world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation)
        answer = client.issuer_accredited(agency.did, NATIONAL_ID, world.clock.now)
        assert answer.standing.reason == "accreditation_revoked"
        trusted = client.trusted
        assert trusted is not None and trusted.size == world.ledger.size

        def replay(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
            return old

        mirror.rewrites["/accreditations"] = replay
        with pytest.raises(Error) as info:
            client.issuer_accredited(agency.did, NATIONAL_ID, world.clock.now)
        assert info.value.code == "ledger_answer_stale"
        assert client.trusted == trusted  # nothing rolled back


def test_an_older_status_list_below_the_trusted_size_is_refused(
    world: World, agency: Identity, tmp_path: Any
) -> None:
    trust.publish(world, agency)
    with mirrored(world) as mirror:
        old = mirror.upstream.get("/status-lists", params={"uri": LIST_URI}).json()
        world.clock.now += 10
        trust.publish(world, agency, text=trust.token(agency, now=world.clock.now, revoked=(3, 7)))
        # A second client run, sharing the trust file, must remember what it trusted.
        trust_file = tmp_path / "trusted"
        first = mirror.client(world, trust_file=trust_file)
        assert first.status_list(LIST_URI, now=world.clock.now).status(7) == 1
        first.close()
        mirror.rewrites["/status-lists"] = lambda request, answer: old
        second = mirror.client(world, trust_file=trust_file)
        with pytest.raises(Error) as info:
            second.status_list(LIST_URI, now=world.clock.now)
        assert info.value.code == "ledger_answer_stale"
