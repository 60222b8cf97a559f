"""The trust package's questions about issuance rules and redemptions, on a stand-in ledger
whose answers are proven objects: each asked of the ledger once per question for the maximum
age given (a rule per agency and name, redemptions per list in one spelling), at the time
given, else the clock; a rule's version is the one in force at the time asked about, its
agency accredited for the type when it published that version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from civicid import rule_registry
from civicid.accreditation import ISSUER
from civicid.errors import Error
from civicid.issuance_rules import ProvenRule, RuleVersion
from civicid.registry_client import ProvenGrants
from tests.civicid.trust.test_questions import AGENCY, CHECKPOINT, OTHER, VCT, grant, trust_of

RULE = "winter-allowance"
LIST = "https://agency.example/status/1"
POLICY: Any = object()  # a published version's policy (None would be a withdrawal)


def version(number: int, time: int, *, withdrawn: bool = False, who: str = AGENCY) -> RuleVersion:
    if withdrawn:
        return RuleVersion(who, RULE, number, time, number, reason="ended")
    return RuleVersion(who, RULE, number, time, number, vct=VCT, policy=POLICY)


@dataclass
class Registry:
    """Grants per agency: (grant, revoked at); every (kind, subject, vct, time) asked."""

    pairs: dict[str, Any]
    asked: list[tuple[str, str, str, int]] = field(default_factory=list)

    def grants(
        self, kind: str, subject: str, vct: str, when: int, claims: tuple[str, ...] = ()
    ) -> ProvenGrants:
        self.asked.append((kind, subject, vct, when))
        return ProvenGrants(subject, kind, vct, self.pairs.get(subject, ()), None, CHECKPOINT)


@dataclass
class Ledger:
    registry: Registry
    rules: dict[tuple[str, str], tuple[RuleVersion, ...]]
    asked: list[tuple[str, ...]] = field(default_factory=list)


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """Rules and redemptions read from this stand-in, as the proving reader would."""
    found = Ledger(
        Registry({who: ((grant(who, start=0, days=100), None),) for who in (AGENCY, OTHER)}),
        {
            (AGENCY, RULE): (version(1, 100), version(2, 200), version(3, 300, withdrawn=True)),
            (OTHER, RULE): (version(1, 100, who=OTHER),),
            (AGENCY, "other-rule"): (version(1, 150),),
        },
    )

    def issuance_rule(client: Ledger, issuer: str, name: str) -> ProvenRule:
        client.asked.append(("rule", issuer, name))
        return ProvenRule(issuer, name, client.rules[(issuer, name)], CHECKPOINT)

    def redemptions(client: Ledger, uri: str) -> tuple[str, int]:
        client.asked.append(("redemptions", uri))
        return (uri, len(client.asked))

    monkeypatch.setattr(rule_registry, "issuance_rule", issuance_rule)
    monkeypatch.setattr(rule_registry, "redemptions", redemptions)
    return found


def code_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(Error) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_the_version_in_force_at_the_time_asked_about(ledger: Ledger) -> None:
    trust = trust_of(ledger)  # type: ignore[arg-type]
    assert trust.issuance_rule(AGENCY, RULE, 150, now=1_000, max_age=60).version == 1
    assert trust.issuance_rule(AGENCY, RULE, 200, now=1_000, max_age=60).version == 2
    assert code_of(trust.issuance_rule, AGENCY, RULE, 99, now=1_000) == (
        "issuance_rule_not_in_force"
    )
    assert code_of(trust.issuance_rule, AGENCY, RULE, 300, now=1_000) == ("issuance_rule_withdrawn")
    assert ledger.asked[0] == ("rule", AGENCY, RULE)


def test_a_rule_is_asked_once_per_agency_and_name_for_the_age_given(ledger: Ledger) -> None:
    trust = trust_of(ledger, clock=0)  # type: ignore[arg-type]
    assert trust.issuance_rule(AGENCY, RULE, 150, now=1_000, max_age=60).issuer == AGENCY
    assert trust.issuance_rule(OTHER, RULE, 150, now=1_000, max_age=60).issuer == OTHER
    assert trust.issuance_rule(AGENCY, "other-rule", 150, now=1_000, max_age=60).version == 1
    assert trust.issuance_rule(AGENCY, RULE, 250, now=1_059, max_age=60).version == 2
    assert ledger.asked == [
        ("rule", AGENCY, RULE),
        ("rule", OTHER, RULE),
        ("rule", AGENCY, "other-rule"),
    ]
    trust.issuance_rule(AGENCY, RULE, 250, now=1_060, max_age=60)
    assert ledger.asked[-1] == ("rule", AGENCY, RULE) and len(ledger.asked) == 4


def test_without_a_time_the_clock_is_the_time(ledger: Ledger) -> None:
    trust = trust_of(ledger, clock=5_000)  # type: ignore[arg-type]
    trust.issuance_rule(AGENCY, RULE, 150, max_age=60)
    trust.issuance_rule(AGENCY, RULE, 150, now=5_059, max_age=60)
    assert len(ledger.asked) == 1
    assert ledger.registry.asked == [(ISSUER, AGENCY, VCT, 5_000)]


def test_the_agency_is_judged_when_it_published_the_version(ledger: Ledger) -> None:
    """Accredited from 0 for 100 days, revoked at 180: version 1 (published at 100) stands
    whenever asked about; version 2 (at 200) was published after the revocation."""
    ledger.registry.pairs[AGENCY] = ((grant(AGENCY, start=0, days=100), 180),)
    trust = trust_of(ledger, clock=0)  # type: ignore[arg-type]
    assert trust.issuance_rule(AGENCY, RULE, 199, now=1_000, max_age=60).version == 1
    assert code_of(trust.issuance_rule, AGENCY, RULE, 250, now=1_000, max_age=60) == (
        "accreditation_revoked"
    )
    # Asked about the agency as of now, for the version's type, once for the age given.
    assert ledger.registry.asked == [(ISSUER, AGENCY, VCT, 1_000)]


def test_redemptions_are_asked_once_per_list_for_the_age_given(ledger: Ledger) -> None:
    trust = trust_of(ledger, clock=0)  # type: ignore[arg-type]
    first = trust.redemptions(LIST, now=1_000, max_age=60)
    assert first == (LIST, 1)
    assert trust.redemptions("HTTPS://AGENCY.example:443/status/1", now=1_059, max_age=60) == first
    assert trust.redemptions(LIST + "2", now=1_000, max_age=60) == (LIST + "2", 2)
    assert trust.redemptions(LIST, now=1_060, max_age=60) == (LIST, 3)
    assert ledger.asked == [
        ("redemptions", LIST),
        ("redemptions", LIST + "2"),
        ("redemptions", LIST),
    ]


def test_redemptions_without_a_time_are_asked_as_of_the_clock(ledger: Ledger) -> None:
    trust = trust_of(ledger, clock=5_000)  # type: ignore[arg-type]
    first = trust.redemptions(LIST, max_age=60)
    assert trust.redemptions(LIST, now=5_059, max_age=60) == first
    assert trust.redemptions(LIST, now=5_060, max_age=60) != first
