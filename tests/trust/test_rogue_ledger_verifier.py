"""A rogue ledger against the desk, online and offline after ``sync``: each lie about an
accreditation (a revocation withheld, another subject's or another kind's genuine grant, a
verdict its entries do not give) is refused with the same code the kernel gives, and the
credential is never found eligible."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from civicid.identity import Identity
from tests.trust.rogue import (
    Lie,
    Rogue,
    borrowed_grant,
    genuine,
    revocation_withheld,
    verdict_unsupported,
)
from tests.verifier.attacks import fresh, refused
from tests.verifier.world import NATIONAL_ID, Clock, World, open_desk, settings_for
from verifier.service import Verifier, checkpoint_key
from verifier.snapshot import sync

OFFLINE_AGE = 3600


def deaccredited(world: World, clock: Clock) -> tuple[Identity, str]:
    """An agency accredited, then de-accredited, and a credential it signed after that."""
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.credential(issuer=agency)  # its own list, published while it could
    clock.now += 10
    world.revoke_accreditation(accreditation)
    clock.now += 10
    return agency, world.credential(issuer=agency, iat=clock.now)


def never_accredited(world: World, clock: Clock) -> tuple[Identity, str]:
    stranger = world.register("agency")
    return stranger, world.credential(issuer=stranger, iat=clock.now)


def check_online(world: World, http: httpx.BaseTransport, lie: Lie, credential: str,
                 clock: Clock, code: str) -> Rogue:  # fmt: skip
    rogue = Rogue(http, "/accreditations", lie)
    desk = open_desk(world, rogue, Clock(clock.now + 60), check_accreditation=False)
    try:
        presentation, nonce = fresh(world, desk, credential)
        refused(desk, presentation, code, nonce=nonce, step="accreditation")
    finally:
        desk.close()
    return rogue


def check_offline(world: World, http: httpx.BaseTransport, lie: Lie, credential: str,
                  clock: Clock, code: str, issuers: list[str]) -> Rogue:  # fmt: skip
    """``sync`` through the rogue (what it could not prove is a problem, not an answer), then
    check offline: the lie is refused again, or the answer is missing from the snapshot."""
    rogue = Rogue(http, "/accreditations", lie)
    settings = settings_for(world.root)
    desk = open_desk(world, http, Clock(clock.now + 60))
    policy = desk.policy("housing-benefit")
    policy = dataclasses.replace(policy, issuers=tuple(issuers), max_ledger_age=OFFLINE_AGE)
    desk.policies = {policy.name: policy}
    try:
        snapshot = sync(ledger_url=settings.ledger_url, vkey=checkpoint_key(settings),
                        trust_file=None, desk=desk.desk.did, policies=[policy],
                        status_lists=[], clock=desk.clock, transport=rogue)  # fmt: skip
        snapshot.save(settings.snapshot_path)
        assert any(code in problem for problem in snapshot.problems), snapshot.problems
    finally:
        desk.close()
    offline = Verifier.open(settings, clock=Clock(clock.now + 120), offline=True,
                            check_accreditation=False)  # fmt: skip
    offline.policies = {policy.name: policy}
    try:
        presentation, nonce = fresh(world, offline, credential)
        decision = offline.check(presentation, policy=policy, nonce=nonce)
        assert not decision.eligible, decision.to_text()
        assert decision.code in (code, "snapshot_incomplete"), decision.to_text()
        if decision.code == code:
            assert decision.failed is not None and decision.failed.step == "accreditation"
    finally:
        offline.close()
    return rogue


def refused_by_the_desk(world: World, http: httpx.BaseTransport, lie: Lie, credential: str,
                        clock: Clock, code: str, issuer: str, offline: bool) -> None:  # fmt: skip
    """The lie refused with ``code``, offline after ``sync`` (issuers named) or online."""
    if offline:
        check_offline(world, http, lie, credential, clock, code, [issuer])
    else:
        check_online(world, http, lie, credential, clock, code)


def test_a_withheld_revocation_is_refused_online(
    world: World, http: httpx.BaseTransport, clock: Clock
) -> None:
    _, credential = deaccredited(world, clock)
    rogue = check_online(world, http, revocation_withheld, credential, clock, "map_proof_invalid")
    assert rogue.lied


def test_a_withheld_revocation_is_refused_offline(
    world: World, http: httpx.BaseTransport, clock: Clock
) -> None:
    agency, credential = deaccredited(world, clock)
    rogue = check_offline(world, http, revocation_withheld, credential, clock,
                          "map_proof_invalid", [agency.did])  # fmt: skip
    assert rogue.lied


def test_the_snapshot_lists_no_issuer_whose_revocation_was_withheld(
    world: World, http: httpx.BaseTransport, clock: Clock, verifier: Verifier
) -> None:
    """``sync`` without named issuers asks the ledger who is accredited; an issuer it names
    is believed only through its own proven grants."""
    agency, _ = deaccredited(world, clock)
    settings = settings_for(world.root)
    snapshot = sync(ledger_url=settings.ledger_url, vkey=checkpoint_key(settings),
                    trust_file=None, desk=verifier.desk.did,
                    policies=[verifier.policy("housing-benefit")], status_lists=[],
                    clock=verifier.clock,
                    transport=Rogue(http, "/accreditations", revocation_withheld))  # fmt: skip
    assert any("map_proof_invalid" in p for p in snapshot.problems), snapshot.problems
    assert not any(agency.did in p and "map_proof_invalid" not in p for p in snapshot.problems)


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_another_subjects_genuine_grant_is_refused(
    world: World, http: httpx.BaseTransport, clock: Clock, offline: bool
) -> None:
    stranger, credential = never_accredited(world, clock)
    lie = borrowed_grant(http, world.agency.did, NATIONAL_ID)
    refused_by_the_desk(world, http, lie, credential, clock, "ledger_answer_mismatch",
                        stranger.did, offline)  # fmt: skip


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_a_genuine_grant_of_another_kind_is_refused(
    world: World, http: httpx.BaseTransport, clock: Clock, offline: bool
) -> None:
    """The desk holds a desk's grant for the type, not an issuer's: the ledger's answer
    about that grant, told as an issuer's, does not accredit what the desk signs."""
    agency = world.desk
    credential = world.credential(issuer=agency, iat=clock.now)

    def lie(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
        if request.url.params.get("subject") != agency.did:
            return None
        other = genuine(http, "/accreditations", subject=agency.did, at=request.url.params["at"])
        return {**body, **{k: other[k] for k in ("entries", "checkpoint", "treeSize")},
                "stateMap": {**body.get("stateMap", {}), **other.get("stateMap", {})},
                "accredited": True}  # fmt: skip

    refused_by_the_desk(world, http, lie, credential, clock, "ledger_answer_mismatch",
                        agency.did, offline)  # fmt: skip


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_a_verdict_its_entries_do_not_give_is_refused(
    world: World, http: httpx.BaseTransport, clock: Clock, offline: bool
) -> None:
    agency, credential = deaccredited(world, clock)
    refused_by_the_desk(world, http, verdict_unsupported, credential, clock,
                        "ledger_answer_mismatch", agency.did, offline)  # fmt: skip
