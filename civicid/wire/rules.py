"""What crosses the ledger's interface about issuance rules and redemptions: the answers
(each proven like every ledger answer, ``civicid.wire.ledger.Proven``)."""

from __future__ import annotations

from pydantic import Field

from civicid.wire.ledger import Proven, Wire


class IssuanceRuleAnswer(Proven):
    """Every version of one agency's rule; the entries are the versions, in log order."""

    issuer: str
    rule: str
    versions: int = Field(ge=1)


class IssuanceRuleSummary(Wire):
    issuer: str
    rule: str
    version: int
    seq: int


class IssuanceRuleList(Proven):
    """The latest version of every rule (or of one agency's)."""

    rules: list[IssuanceRuleSummary]


class RedemptionsAnswer(Proven):
    """Every redemption of one status list's credentials; the entries are the redemptions."""

    uri: str
    count: int = Field(ge=0)


class RedemptionCount(Wire):
    desk: str
    vct: str
    count: int = Field(ge=1)


class RedemptionCounts(Wire):
    """Redemptions per distribution point and type, counted from the ledger's state (public
    counts: no credential, list or index named)."""

    counts: list[RedemptionCount]
    total: int = Field(ge=0)
