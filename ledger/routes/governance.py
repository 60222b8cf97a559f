"""Trust registry, credential types and status lists over HTTP: thin shells over
``ledger.registry``; every answer carries the checkpoint and the entries' inclusion proofs."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicid import statemap
from civicid.accreditation import MAX_CLAIMS_PER_TYPE, MAX_VCT_CHARS
from civicid.errors import NotFound
from civicid.merkle import PROOF_OUT_OF_RANGE
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors
from civicid.status_list import TYP
from civicid.status_uri import MAX_STATUS_URI_CHARS, normalize_uri
from civicid.times import parse_time
from civicid.wire import (
    AccreditationList,
    CredentialTypeAnswer,
    CredentialTypeList,
    StatusListAnswer,
    StatusListHistory,
    TrustAnswer,
    constraints,
)
from ledger import registry
from ledger.errors import QUERY_INVALID
from ledger.log import Ledger
from ledger.proofs import absent, proven, snapshot
from ledger.routes.deps import LedgerDep
from ledger.routes.log import answer as json_answer

router = APIRouter(route_class=IJsonRoute, tags=["governance"])
# Token Status List §8.1/§8.2: the media type asked for and answered with.
STATUS_LIST_MEDIA_TYPE: Final = f"application/{TYP}"

# Declared as enforced: the DID and vct forms by the framework (request_invalid), a time by
# civicid.times (time_invalid), a list's URI by civicid.status_uri (status_list_uri_invalid).
_SUBJECT = Query(
    pattern=constraints.DID,
    max_length=constraints.MAX_DID_CHARS,
    description="The DID asked about.",
)
_VCT = Query(pattern=constraints.VCT, max_length=MAX_VCT_CHARS, description="A credential type.")
Subject = Annotated[str, _SUBJECT]
Vct = Annotated[str, _VCT]
OptionalSubject = Annotated[str | None, _SUBJECT]
OptionalVct = Annotated[str | None, _VCT]
At = Annotated[
    str | None,
    Query(
        max_length=constraints.MAX_TIME_CHARS,
        description="The time to judge at: RFC 3339, or a NumericDate (default: the ledger's now).",
        examples=["2026-11-25T10:00:00Z"],
        json_schema_extra=constraints.time_schema(),
    ),
]
Uri = Annotated[
    str,
    Query(
        max_length=MAX_STATUS_URI_CHARS,
        description="The list's URI.",
        json_schema_extra=constraints.status_list_uri(),
    ),
]


def now(ledger: Ledger, at: str | None) -> int:
    return int(ledger.clock()) if at is None else parse_time(at)


@router.get(
    "/accreditations",
    summary="List accreditations, or: is issuer X accredited for Y?",
    response_model=TrustAnswer | AccreditationList,
    responses=errors(400, 404),
)
async def accreditations(
    ledger: LedgerDep,
    subject: OptionalSubject = None,
    vct: OptionalVct = None,
    at: At = None,
) -> Response:
    """With ``subject`` and ``vct``: the issuer's standing for ``vct`` at ``at``. Without
    ``vct``: every accreditation (or ``subject``'s), each with its status at ``at``."""
    view = snapshot(ledger)
    when = now(ledger, at)
    if vct is not None:
        if subject is None:
            raise QUERY_INVALID("asking about a vct needs a subject")
        answer = registry.issuer_accredited(ledger.state, subject, vct, when, view.size)
        return json_answer(
            proven(ledger, view, answer.seqs, answer.body, TrustAnswer, names=answer.names)
        )
    answer = registry.list_accreditations(ledger.state, when, view.size, subject)
    return json_answer(proven(ledger, view, answer.seqs, answer.body, AccreditationList))


@router.get(
    "/accreditations/verifier",
    summary="May verifier V ask for claims C of type Y?",
    response_model=TrustAnswer,
    responses=errors(400, 404),
)
async def verifier(
    ledger: LedgerDep,
    subject: Subject,
    vct: Vct,
    claims: Annotated[list[str], Query(max_length=MAX_CLAIMS_PER_TYPE)],
    at: At = None,
) -> Response:
    view = snapshot(ledger)
    answer = registry.verifier_allowed(
        ledger.state, subject, vct, tuple(claims), now(ledger, at), view.size
    )
    return json_answer(
        proven(ledger, view, answer.seqs, answer.body, TrustAnswer, names=answer.names)
    )


@router.get(
    "/credential-types",
    summary="A credential type's metadata and schema (or all types)",
    response_model=CredentialTypeAnswer | CredentialTypeList,
    responses=errors(400, 404),
)
async def credential_types(ledger: LedgerDep, vct: OptionalVct = None) -> Response:
    view = snapshot(ledger)
    if vct is None:
        answer = registry.credential_types(ledger.state, view.size)
        return json_answer(proven(ledger, view, answer.seqs, answer.body, CredentialTypeList))
    try:
        answer = registry.credential_type(ledger.state, vct, view.size)
    except NotFound as exc:
        raise absent(exc, view, statemap.TYPE, vct) from None
    return json_answer(
        proven(ledger, view, answer.seqs, answer.body, CredentialTypeAnswer, names=answer.names)
    )


@router.get(
    "/status-lists",
    summary="A status list token: latest, or as of a tree size",
    response_model=StatusListAnswer,
    responses={
        200: {"content": {STATUS_LIST_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **errors(400, 404),
    },
)
async def status_list(
    request: Request,
    ledger: LedgerDep,
    uri: Uri,
    tree_size: Annotated[int | None, Query(alias="treeSize", ge=1)] = None,
) -> Response:
    """``Accept: application/statuslist+jwt``: the raw token (Token Status List §8.2).
    Otherwise JSON with the publishing entry, the first one (ownership) and their proofs.
    With ``treeSize``, the latest version logged before that size, proven in the latest
    checkpoint (the ledger keeps only its latest signed checkpoint)."""
    uri = normalize_uri(uri)  # one list, one spelling (RFC 3986 §6)
    view = snapshot(ledger)
    if tree_size is not None and tree_size > view.size:
        raise PROOF_OUT_OF_RANGE(f"tree size {tree_size} is beyond {view.size}")
    try:
        answer, latest = registry.status_list(ledger.state, uri, tree_size or view.size)
    except NotFound as exc:
        raise absent(exc, view, statemap.STATUS_LIST, uri) from None
    if STATUS_LIST_MEDIA_TYPE in request.headers.get("accept", ""):
        token = registry.token_of(ledger.entry(latest.seq))
        return Response(token, media_type=STATUS_LIST_MEDIA_TYPE)
    return json_answer(
        proven(ledger, view, answer.seqs, answer.body, StatusListAnswer, names=answer.names)
    )


@router.get(
    "/status-lists/history",
    summary="A status list's versions, oldest first, a page at a time, with proofs",
    response_model=StatusListHistory,
    responses=errors(400, 404),
)
async def status_list_history(
    ledger: LedgerDep,
    uri: Uri,
    after: Annotated[
        int,
        Query(ge=0, description="Only versions numbered above this (the last page's `next`)."),
    ] = 0,
    limit: Annotated[
        int,
        Query(ge=1, le=registry.MAX_HISTORY_PAGE, description="At most this many versions."),
    ] = registry.HISTORY_PAGE,
) -> Response:
    uri = normalize_uri(uri)
    view = snapshot(ledger)
    answer = registry.status_list_history(ledger.state, uri, view.size, after=after, limit=limit)
    return json_answer(
        proven(ledger, view, answer.seqs, answer.body, StatusListHistory, text=False)
    )
