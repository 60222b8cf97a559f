"""An issuance rule's agency standing has its own maximum age when the caller gives one (an
agency re-reads its accreditation more often than its rules); without one it is the rule's."""

from __future__ import annotations

from civicid.accreditation import ISSUER
from tests.civicid.trust.test_questions import AGENCY, VCT, trust_of
from tests.civicid.trust.test_rule_questions import RULE, Ledger, ledger  # noqa: F401


def test_the_standing_is_asked_anew_by_its_own_age(ledger: Ledger) -> None:  # noqa: F811
    trust = trust_of(ledger, clock=0)  # type: ignore[arg-type]
    for now in (1_000, 1_030):
        version = trust.issuance_rule(AGENCY, RULE, 150, now=now, max_age=60, standing_max_age=10)
        assert version.version == 1
    assert ledger.asked == [("rule", AGENCY, RULE)]  # the rule: remembered for 60 s
    assert ledger.registry.asked == [(ISSUER, AGENCY, VCT, 1_000), (ISSUER, AGENCY, VCT, 1_030)]


def test_the_standing_may_be_remembered_longer_than_the_rule(ledger: Ledger) -> None:  # noqa: F811
    trust = trust_of(ledger, clock=0)  # type: ignore[arg-type]
    for now in (1_000, 1_030):
        version = trust.issuance_rule(AGENCY, RULE, 150, now=now, max_age=0, standing_max_age=60)
        assert version.version == 1
    assert ledger.asked == [("rule", AGENCY, RULE)] * 2
    assert ledger.registry.asked == [(ISSUER, AGENCY, VCT, 1_000)]


def test_without_its_own_age_the_standing_is_remembered_as_the_rule(
    ledger: Ledger,  # noqa: F811
) -> None:
    trust = trust_of(ledger, clock=0)  # type: ignore[arg-type]
    for now in (1_000, 1_030):
        assert trust.issuance_rule(AGENCY, RULE, 150, now=now, max_age=60).version == 1
    assert ledger.asked == [("rule", AGENCY, RULE)]
    assert ledger.registry.asked == [(ISSUER, AGENCY, VCT, 1_000)]
