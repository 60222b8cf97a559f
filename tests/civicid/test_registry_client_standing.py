"""What a subject's proven grants say at a time (``ProvenGrants``): none in force from its
DID's deactivation on, a revoked grant none from its revocation, a desk's claims every grant
in force allows together; and the two accreditation questions, asked as of the client's clock
unless a time is given, answer with the standing then, the grants and the checkpoint they
rest on. A grant of another subject or of another kind among them counts for nothing, though
``grants`` never lets one in. The grants are stand-ins for proven ones (their proofs are the
client's tests')."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicid.accreditation import ISSUER, VERIFIER
from civicid.registry_client import ProvenGrants, RegistryClient
from tests.civicid.trust.test_questions import AGENCY, DAY, DESK, OTHER, VCT, grant

CHECKPOINT: Any = object()
T = 5 * DAY


def grants_of(pairs: Any, *, kind: str = ISSUER, deactivated_at: int | None = None) -> ProvenGrants:
    subject = DESK if kind == VERIFIER else AGENCY
    return ProvenGrants(subject, kind, VCT, tuple(pairs), deactivated_at, CHECKPOINT)


def test_no_grant_is_in_force_from_the_subjects_deactivation_on() -> None:
    granted = grants_of([(grant(DESK, claims=["age"]), None)], kind=VERIFIER, deactivated_at=T)
    assert granted.in_force(T - 1) == granted.granted
    assert granted.claims_allowed(T - 1) == {"age"}
    assert granted.in_force(T) == ()
    assert granted.claims_allowed(T) == frozenset()
    assert not granted.standing(T, ("age",)).accredited


def test_a_revoked_grant_is_not_in_force_from_its_revocation_on() -> None:
    revoked, kept = grant(AGENCY), grant(AGENCY)
    granted = grants_of([(revoked, T), (kept, None)])
    assert granted.in_force(T - 1) == (revoked, kept)
    assert granted.in_force(T) == (kept,)


def test_a_desk_may_ask_for_the_claims_of_every_grant_in_force_together() -> None:
    granted = grants_of(
        [(grant(DESK, claims=["age"]), None), (grant(DESK, claims=["name"]), None)], kind=VERIFIER
    )
    assert granted.claims_allowed(T) == {"age", "name"}


def test_another_subjects_grant_among_them_is_not_in_force() -> None:
    granted = grants_of(
        [(grant(OTHER, claims=["age"]), None), (grant(DESK, claims=["name"]), None)],
        kind=VERIFIER,
    )
    assert [g.subject for g in granted.in_force(T)] == [DESK]
    assert granted.claims_allowed(T) == {"name"}
    assert grants_of([(grant(OTHER), None)]).in_force(T) == ()


def test_a_grant_of_another_kind_among_them_is_not_in_force() -> None:
    as_issuer = grant(DESK)  # the desk's DID granted as an issuer of the same type
    granted = ProvenGrants(DESK, VERIFIER, VCT, ((as_issuer, None),), None, CHECKPOINT)
    assert granted.in_force(T) == ()
    assert granted.claims_allowed(T) == frozenset()
    as_desk = grant(AGENCY, claims=["age"])
    assert grants_of([(as_desk, None)]).in_force(T) == ()


@dataclass
class Client:
    """The clock of a proving client; its proofs are not asked (``grants`` stands in)."""

    now: int
    origin: str = "https://ledger.test"

    def clock(self) -> int:
        return self.now


class Registry(RegistryClient):
    def __init__(self, client: Client, pairs: Any) -> None:
        super().__init__(client)  # type: ignore[arg-type]
        self.pairs = pairs
        self.asked: list[tuple[Any, ...]] = []

    def grants(
        self, kind: str, subject: str, vct: str, when: int, claims: tuple[str, ...] = ()
    ) -> ProvenGrants:
        self.asked.append((kind, subject, vct, when, claims))
        return ProvenGrants(subject, kind, vct, self.pairs, None, CHECKPOINT)


def registry_of(pairs: Any, now: int) -> Registry:
    return Registry(Client(now), pairs)


def test_an_issuer_is_asked_about_as_of_the_clock_unless_a_time_is_given() -> None:
    accredited = grant(AGENCY, start=T)
    registry = registry_of(((accredited, None),), now=T)
    answer = registry.issuer_accredited(AGENCY, VCT)
    assert answer.accredited and answer.standing.accreditation == accredited.id
    assert (answer.grants, answer.checkpoint) == ((accredited,), CHECKPOINT)
    assert not registry.issuer_accredited(AGENCY, VCT, T - 1).accredited
    assert registry.asked == [(ISSUER, AGENCY, VCT, T, ()), (ISSUER, AGENCY, VCT, T - 1, ())]


def test_a_desk_is_asked_about_as_of_the_clock_unless_a_time_is_given() -> None:
    allowed = grant(DESK, start=T, claims=["age"])
    registry = registry_of(((allowed, None),), now=T)
    answer = registry.verifier_allowed(DESK, VCT, ["age"])
    assert answer.accredited and answer.standing.accreditation == allowed.id
    assert (answer.grants, answer.checkpoint) == ((allowed,), CHECKPOINT)
    assert not registry.verifier_allowed(DESK, VCT, ("age",), T - 1).accredited
    assert registry.asked == [
        (VERIFIER, DESK, VCT, T, ("age",)),
        (VERIFIER, DESK, VCT, T - 1, ("age",)),
    ]
