"""Each question hands the ledger client exactly what it was asked (kind, subject, type,
claims, time, role of a key), and passes back the client's own refusals that are not about
the question (a snapshot that lacks the data); the checkpoint it rests on is the client's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from civicid.accreditation import ISSUER, VERIFIER
from civicid.errors import Error
from civicid.registry_client import ProvenGrants
from civicid.trust import SNAPSHOT_INCOMPLETE, Trust
from tests.civicid.trust.test_questions import AGENCY, CHECKPOINT, DESK, OTHER, VCT, grant

AUTHENTICATION = "authentication"


@dataclass
class Registry:
    pairs: dict[str, Any]
    asked: list[tuple[Any, ...]] = field(default_factory=list)

    def grants(
        self, kind: str, subject: str, vct: str, when: int, claims: tuple[str, ...] = ()
    ) -> ProvenGrants:
        self.asked.append((kind, subject, vct, when, claims))
        return ProvenGrants(subject, kind, vct, self.pairs.get(subject, ()), None, CHECKPOINT)

    def granted_subjects(self, kind: str, vct: str, when: int) -> tuple[str, ...]:
        self.asked.append(("subjects", kind, vct, when))
        return tuple(self.pairs)


@dataclass
class Chain:
    asked: list[tuple[Any, ...]]

    def at_time(self, at: int) -> int:
        return at * 10

    def key(self, version: int, kid: str, relationship: str) -> str:
        self.asked.append(("key", version, kid, relationship))
        return kid


@dataclass
class Resolved:
    chain: Chain


@dataclass
class Checkpointed:
    size: int


@dataclass
class Client:
    registry: Registry = field(default_factory=lambda: Registry({}))
    asked: list[tuple[Any, ...]] = field(default_factory=list)
    incomplete: bool = False
    trusted: Checkpointed | None = None

    def resolve(self, did: str) -> Resolved:
        self.asked.append(("resolve", did))
        if self.incomplete:
            raise SNAPSHOT_INCOMPLETE(f"{did} was not synced")
        return Resolved(Chain(self.asked))

    def checkpoint(self) -> Checkpointed:
        self.trusted = Checkpointed(7)
        return self.trusted


def trust_of(client: Client, **kwargs: Any) -> Trust:
    return Trust(client, clock=lambda: 0, **kwargs)  # type: ignore[arg-type]


def test_a_key_is_asked_in_the_role_given_at_the_version_of_the_time() -> None:
    client = Client()
    trust = trust_of(client)
    kid = f"{AGENCY}#key-2"
    assert trust.key_in_force(kid, 12, AUTHENTICATION, now=20) == kid
    assert trust.key_in_force(kid, 13, now=20) == kid
    assert client.asked == [
        ("resolve", AGENCY),
        ("key", 120, kid, AUTHENTICATION),
        ("resolve", AGENCY),
        ("key", 130, kid, "assertionMethod"),
    ]


def test_a_snapshot_without_the_did_says_so_not_that_the_key_is_not_in_force() -> None:
    trust = trust_of(Client(incomplete=True), as_of=100)
    with pytest.raises(Error) as caught:
        trust.key_in_force(f"{AGENCY}#key-1", 50, now=100, max_age=60)
    assert caught.value.code == "snapshot_incomplete"


def test_an_issuer_is_asked_about_its_type() -> None:
    registry = Registry({AGENCY: ((grant(AGENCY), None),)})
    trust = trust_of(Client(registry))
    assert trust.issuer_standing(AGENCY, VCT, 5, now=30).accredited
    assert registry.asked == [(ISSUER, AGENCY, VCT, 30, ())]


def test_a_desk_is_asked_about_its_type_and_claims() -> None:
    registry = Registry({DESK: ((grant(DESK, claims=["resident", "birthdate"]), None),)})
    trust = trust_of(Client(registry))
    standing = trust.desk_standing(DESK, VCT, ("resident",), now=30)
    assert standing.accredited and standing.allowed == {"resident", "birthdate"}
    assert registry.asked == [(VERIFIER, DESK, VCT, 30, ("resident",))]


def test_a_desk_asking_other_claims_is_asked_anew() -> None:
    registry = Registry({DESK: ((grant(DESK, claims=["resident"]), None),)})
    trust = trust_of(Client(registry))
    assert trust.desk_standing(DESK, VCT, ("resident",), now=30, max_age=60).accredited
    assert not trust.desk_standing(DESK, VCT, ("birthdate",), now=31, max_age=60).accredited
    assert [a[4] for a in registry.asked] == [("resident",), ("birthdate",)]


def test_the_issuers_of_a_type_are_asked_by_kind_and_type() -> None:
    registry = Registry({AGENCY: ((grant(AGENCY), None),), OTHER: ((grant(OTHER), 1),)})
    trust = trust_of(Client(registry))
    assert trust.issuers_for(VCT, now=40) == (AGENCY,)
    assert registry.asked == [
        ("subjects", ISSUER, VCT, 40),
        (ISSUER, AGENCY, VCT, 40, ()),
        (ISSUER, OTHER, VCT, 40, ()),
    ]


def test_offline_every_question_is_asked_as_of_the_snapshot() -> None:
    registry = Registry(
        {AGENCY: ((grant(AGENCY), None),), DESK: ((grant(DESK, claims=["a"]), None),)}
    )
    trust = trust_of(Client(registry), as_of=25)
    assert trust.offline and trust.as_of == 25
    assert trust.issuers_for(VCT, now=40, max_age=60) == (AGENCY,)
    assert trust.desk_standing(DESK, VCT, ("a",), now=40, max_age=60).accredited
    assert [a[-2] if a[0] != "subjects" else a[-1] for a in registry.asked] == [25] * 4


def test_the_checkpoint_is_the_clients() -> None:
    client = Client()
    trust = trust_of(client)
    assert not trust.offline and trust.as_of is None
    assert trust.checkpoint_size() is None  # nothing accepted yet
    assert trust.checkpoint() == Checkpointed(7)
    assert trust.checkpoint_size() == 7


@dataclass
class Types:
    asked: list[str] = field(default_factory=list)

    def credential_type(self, vct: str) -> str:
        self.asked.append(vct)
        return f"type {vct}"


def test_each_type_is_remembered_apart() -> None:
    client = Types()
    trust = Trust(client, clock=lambda: 0)  # type: ignore[arg-type]
    other = VCT + "/other"
    assert trust.credential_type(VCT, now=10, max_age=60) == f"type {VCT}"
    assert trust.credential_type(other, now=11, max_age=60) == f"type {other}"
    assert trust.credential_type(VCT, now=12, max_age=60) == f"type {VCT}"
    assert client.asked == [VCT, other]
