"""A subject's standing is judged once per proven answer, time asked about and claims, in the
kernel (``ProvenGrants.standing``): every part asking the same answer the same question gets
the one judgement, a different time or claims are judged anew, and ``fresh`` asks the ledger
for a new answer whatever the maximum age, which is then the one remembered."""

from __future__ import annotations

from typing import Any

import pytest

from civicid import registry_client
from civicid.accreditation import ISSUER, VERIFIER, Standing
from civicid.registry_client import ProvenGrants
from tests.civicid.trust.test_questions import (
    AGENCY,
    CHECKPOINT,
    DESK,
    VCT,
    Client,
    Registry,
    grant,
    trust_of,
)


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The times of every judgement made (``accreditation.judge`` as the kernel calls it)."""
    times: list[int] = []
    real = registry_client.judge

    def counted(subject: str, kind: str, pairs: Any, at: int, **kwargs: Any) -> Standing:
        times.append(at)
        return real(subject, kind, pairs, at, **kwargs)

    monkeypatch.setattr(registry_client, "judge", counted)
    return times


def revoked_at_200() -> ProvenGrants:
    return ProvenGrants(AGENCY, ISSUER, VCT, ((grant(AGENCY, start=100), 200),), None, CHECKPOINT)


def test_the_same_time_asked_again_is_the_one_judgement(judged: list[int]) -> None:
    grants = revoked_at_200()
    first = grants.standing(150)
    assert grants.standing(150) is first and first.accredited
    assert judged == [150]


def test_another_time_is_judged_anew_each_time(judged: list[int]) -> None:
    grants = revoked_at_200()
    assert grants.standing(150).accredited
    assert grants.standing(200).reason == "accreditation_revoked"
    assert grants.standing(150).accredited  # not the revoked standing kept for 200
    assert judged == [150, 200, 150]


def test_other_claims_at_the_same_time_are_judged_anew(judged: list[int]) -> None:
    pairs = ((grant(DESK, claims=["age_over_18"]), None),)
    grants = ProvenGrants(DESK, VERIFIER, VCT, pairs, None, CHECKPOINT)
    assert grants.standing(10, ("age_over_18",)).accredited
    refused = grants.standing(10, ("given_name",))
    assert refused.reason == "verifier_claims_not_allowed"
    assert grants.standing(10, ("age_over_18",)).accredited
    assert judged == [10, 10, 10]


def test_an_answer_is_its_proven_grants_whatever_it_was_asked() -> None:
    asked = revoked_at_200()
    unasked = ProvenGrants(AGENCY, ISSUER, VCT, asked.pairs, None, CHECKPOINT)
    asked.standing(150)
    assert asked == unasked and hash(asked) == hash(unasked)
    assert "Standing" not in repr(asked)  # what was proven, not what was asked of it


def test_each_answer_is_judged_on_its_own(judged: list[int]) -> None:
    """An answer read afresh (a new object) holding a revocation is judged, not given the
    standing judged from the answer before it at the same time."""
    before = ProvenGrants(AGENCY, ISSUER, VCT, ((grant(AGENCY), None),), None, CHECKPOINT)
    assert before.standing(50).accredited
    assert revoked_at_200().standing(50).reason == "accreditation_not_yet_valid"
    assert judged == [50, 50]


def test_fresh_asks_the_ledger_within_the_maximum_age_and_keeps_the_new_answer(
    judged: list[int],
) -> None:
    registry = Registry({AGENCY: ((grant(AGENCY), None),)})
    trust = trust_of(Client(registry))
    assert trust.issuer_standing(AGENCY, VCT, 50, now=50, max_age=60).accredited
    assert trust.issuer_standing(AGENCY, VCT, 50, now=60, max_age=60).accredited
    registry.pairs[AGENCY] = ((grant(AGENCY), 40),)  # revoked meanwhile
    assert trust.issuer_standing(AGENCY, VCT, 50, now=60, max_age=60).accredited  # remembered
    refused = trust.issuer_standing(AGENCY, VCT, 50, now=60, max_age=60, fresh=True)
    assert refused.reason == "accreditation_revoked"
    again = trust.issuer_standing(AGENCY, VCT, 50, now=61, max_age=60)
    assert again is refused  # the fresh answer remembered, its judgement with it
    assert registry.asked == [(ISSUER, AGENCY, 50), (ISSUER, AGENCY, 60)]
    assert judged == [50, 50]
