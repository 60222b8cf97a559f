"""Each question of the trust package, on a stand-in ledger client whose answers are proven
objects (grants, histories, lists): asked as of the time given (else the clock), remembered
per question for the maximum age given, judged at the time asked about; a key not in force
or a list of another owner says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from civicid.accreditation import ISSUER, VERIFIER, Grant, grant_body
from civicid.errors import Error, NotFound, VerificationError, declare
from civicid.registry_client import ProvenGrants
from civicid.trust import Trust

AGENCY = "did:civicid:" + "a" * 32
OTHER = "did:civicid:" + "b" * 32
DESK = "did:civicid:" + "c" * 32
VCT = "https://civicid.example/vct/national-id"
DAY = 86_400
CHECKPOINT: Any = object()  # what the grants were proven against
NOT_ON_LEDGER = declare("test_not_on_ledger", NotFound, "a stand-in absence for these tests")
NOT_IN_DOCUMENT = declare("test_not_in_document", VerificationError, "a stand-in for these tests")


def grant(
    subject: str, *, start: int = 0, days: int = 10, claims: list[str] | None = None
) -> Grant:
    body = grant_body(
        subject,
        credential_types=None if claims else [VCT],
        claims={VCT: claims} if claims else None,
        valid_from=start,
        valid_until=start + days * DAY,
        purpose="Test",
        legal_basis="Test Act",
    )
    return Grant.from_body(body)


@dataclass
class Registry:
    pairs: dict[str, tuple[tuple[Grant, int | None], ...]]
    asked: list[tuple[str, str, int]] = field(default_factory=list)

    def grants(
        self, kind: str, subject: str, vct: str, when: int, claims: tuple[str, ...] = ()
    ) -> ProvenGrants:
        self.asked.append((kind, subject, when))
        return ProvenGrants(subject, kind, vct, self.pairs.get(subject, ()), None, CHECKPOINT)

    def granted_subjects(self, kind: str, vct: str, when: int) -> tuple[str, ...]:
        self.asked.append(("list", vct, when))
        return tuple(self.pairs)


@dataclass
class Chain:
    did: str
    fails: Error | None = None

    def at_time(self, at: int) -> int:
        return at

    def key(self, version: int, kid: str, relationship: str) -> str:
        if self.fails is not None:
            raise self.fails
        return f"{kid}@{version}"


@dataclass
class Resolved:
    chain: Chain


@dataclass
class Client:
    registry: Registry = field(default_factory=lambda: Registry({}))
    absent: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def resolve(self, did: str) -> Resolved:
        self.asked.append(did)
        if did in self.absent:
            raise NOT_ON_LEDGER(f"no {did}")
        return Resolved(Chain(did, NOT_IN_DOCUMENT("gone") if did in self.broken else None))

    def credential_type(self, vct: str) -> str:
        self.asked.append(vct)
        return f"type {vct} #{len(self.asked)}"


def trust_of(client: Client, clock: int = 0, **kwargs: Any) -> Trust:
    return Trust(client, clock=lambda: clock, **kwargs)  # type: ignore[arg-type]


def test_without_a_time_a_question_is_asked_as_of_the_clock() -> None:
    client = Client()
    trust = trust_of(client, clock=1_000)
    first = trust.credential_type(VCT, max_age=60)
    assert trust.credential_type(VCT, now=1_059, max_age=60) == first
    assert trust.credential_type(VCT, now=1_060, max_age=60) != first
    assert client.asked == [VCT, VCT]


def test_a_given_time_is_the_answers_time_not_the_clocks() -> None:
    client = Client()
    trust = trust_of(client, clock=0)
    first = trust.credential_type(VCT, now=5_000, max_age=60)
    assert trust.credential_type(VCT, now=5_030, max_age=60) == first
    assert client.asked == [VCT]


def test_the_memory_is_bounded_as_asked() -> None:
    trust = trust_of(Client(), limit=2)
    for n in range(3):
        trust.credential_type(f"{VCT}/{n}", now=0, max_age=60)
    assert len(trust.cache) == 1


def test_each_did_has_its_own_history() -> None:
    client = Client()
    trust = trust_of(client)
    assert trust.history(AGENCY, now=0, max_age=60).did == AGENCY  # type: ignore[attr-defined]
    assert trust.history(OTHER, now=0, max_age=60).did == OTHER  # type: ignore[attr-defined]
    assert trust.history(AGENCY, now=1, max_age=60).did == AGENCY  # type: ignore[attr-defined]
    assert client.asked == [AGENCY, OTHER]


def test_a_key_not_in_force_says_why() -> None:
    client = Client(absent={OTHER}, broken={AGENCY})
    trust = trust_of(client)
    with pytest.raises(Error) as info:
        trust.key_in_force(f"{OTHER}#key-1", 10, now=10)
    assert info.value.code == "key_not_in_force"
    assert info.value.details == {"reason": "test_not_on_ledger"}
    assert OTHER in info.value.message
    with pytest.raises(Error) as info:
        trust.key_in_force(f"{AGENCY}#key-1", 10, now=10)
    assert info.value.code == "key_not_in_force"
    assert info.value.details == {"reason": "test_not_in_document"}
    assert f"{AGENCY}#key-1" in info.value.message
    assert trust.key_in_force(f"{DESK}#key-1", 10, now=10) == f"{DESK}#key-1@10"


def test_an_issuer_is_asked_about_as_of_the_time_given() -> None:
    registry = Registry({AGENCY: ((grant(AGENCY), None),)})
    trust = trust_of(Client(registry), clock=0)
    assert trust.issuer_standing(AGENCY, VCT, 500, now=1_000).accredited
    assert registry.asked == [(ISSUER, AGENCY, 1_000)]


def test_an_issuer_is_judged_at_the_time_asked_about() -> None:
    registry = Registry({AGENCY: ((grant(AGENCY, start=100), 200),)})  # revoked at 200
    trust = trust_of(Client(registry))
    assert not trust.issuer_standing(AGENCY, VCT, 99, now=300).accredited
    assert trust.issuer_standing(AGENCY, VCT, 150, now=300).accredited
    assert trust.issuer_standing(AGENCY, VCT, 200, now=300).reason == "accreditation_revoked"


def test_the_issuers_of_a_type_are_each_proven_at_the_time_given() -> None:
    registry = Registry({AGENCY: ((grant(AGENCY), None),), OTHER: ((grant(OTHER), 50),)})
    trust = trust_of(Client(registry), clock=0)
    assert trust.issuers_for(VCT, now=1_000, max_age=60) == (AGENCY,)
    assert trust.issuers_for(VCT, now=1_010, max_age=60) == (AGENCY,)
    asked = [a for a in registry.asked if a[0] == ISSUER]
    assert asked == [(ISSUER, AGENCY, 1_000), (ISSUER, OTHER, 1_000)]  # remembered after


def test_a_desk_is_judged_at_the_time_asked_about() -> None:
    registry = Registry({DESK: ((grant(DESK, start=100, claims=["resident"]), None),)})
    trust = trust_of(Client(registry))
    now = trust.desk_standing(DESK, VCT, ("resident",), now=200)
    assert now.accredited and now.allowed == {"resident"} and now.checkpoint is CHECKPOINT
    assert now.grants == (registry.pairs[DESK][0][0],)
    before = trust.desk_standing(DESK, VCT, ("resident",), 50, now=200)
    assert not before.accredited and before.allowed == frozenset() and before.grants == ()
    assert registry.asked == [(VERIFIER, DESK, 200), (VERIFIER, DESK, 200)]
