"""Issuance rules and redemptions over HTTP: thin shells over ``ledger.issuance``; every
answer carries the checkpoint, the entries' inclusion proofs and the state map proof of the
latest (or of there being none)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from civicid import statemap
from civicid.errors import NotFound
from civicid.issuance_rules import rule_id
from civicid.policy import NAME_PATTERN
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors
from civicid.status_uri import MAX_STATUS_URI_CHARS, normalize_uri
from civicid.wire import constraints
from civicid.wire.rules import (
    IssuanceRuleAnswer,
    IssuanceRuleList,
    RedemptionCounts,
    RedemptionsAnswer,
)
from ledger import issuance
from ledger.proofs import absent, proven, snapshot
from ledger.routes.deps import LedgerDep
from ledger.routes.log import answer as json_answer

router = APIRouter(route_class=IJsonRoute, tags=["issuance rules and entitlements"])

_ISSUER = Query(
    pattern=constraints.DID, max_length=constraints.MAX_DID_CHARS, description="The agency."
)


@router.get(
    "/issuance-rules",
    summary="An agency's issuance rule, every version (or the latest of every rule)",
    response_model=IssuanceRuleAnswer | IssuanceRuleList,
    responses=errors(400, 404),
)
async def issuance_rules(
    ledger: LedgerDep,
    issuer: Annotated[str | None, _ISSUER] = None,
    rule: Annotated[
        str | None, Query(pattern=NAME_PATTERN.pattern, max_length=63, description="Its name.")
    ] = None,
) -> Response:
    view = snapshot(ledger)
    if rule is None:
        listed = issuance.rules_answer(ledger.state, view.size, issuer)
        return json_answer(proven(ledger, view, listed.seqs, listed.body, IssuanceRuleList))
    if issuer is None:
        issuer = ""  # refused below, as an unknown rule (a name is an agency's)
    try:
        found = issuance.rule_answer(ledger.state, issuer, rule, view.size)
    except NotFound as exc:
        raise absent(exc, view, statemap.ISSUANCE_RULE, rule_id(issuer, rule)) from None
    return json_answer(
        proven(ledger, view, found.seqs, found.body, IssuanceRuleAnswer, names=found.names)
    )


@router.get(
    "/redemptions/counts",
    summary="Redemptions per distribution point and per type (counts only)",
    response_model=RedemptionCounts,
)
async def redemption_counts(ledger: LedgerDep) -> Response:
    return json_answer(RedemptionCounts.model_validate(issuance.redemption_counts(ledger.state)))


@router.get(
    "/redemptions",
    summary="Every redemption of a status list's single-use credentials",
    response_model=RedemptionsAnswer,
    responses=errors(400),
)
async def redemptions(
    ledger: LedgerDep,
    uri: Annotated[
        str,
        Query(
            max_length=MAX_STATUS_URI_CHARS,
            description="The status list's URI.",
            json_schema_extra=constraints.status_list_uri(),
        ),
    ],
) -> Response:
    uri = normalize_uri(uri)
    view = snapshot(ledger)
    found = issuance.redemptions_answer(ledger.state, uri, view.size)
    return json_answer(
        proven(ledger, view, found.seqs, found.body, RedemptionsAnswer, names=found.names)
    )
