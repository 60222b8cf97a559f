"""DID Resolution HTTP(S) binding: ``GET /1.0/identifiers/{did}``.

The hottest route: the app answers it from its own ``__call__`` (``direct``), past the
framework's routing and middleware, with bytes the resolver keeps rendered; the framework's
route (``resolve``) is the same answer, there for the API description (its parameters are
declared below, not solved per request) and for requests the direct path leaves to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette._utils import get_route_path
from starlette.types import Scope

from civicid.shell.ijson import IJsonRoute
from civicid.wire import ResolutionResult, constraints
from ledger.answers import DOCUMENT_TYPE
from ledger.errors import RESOLUTION_OPTIONS_INVALID
from ledger.log import View
from ledger.resolution import (
    CONTENT_TYPE,
    Resolution,
    Resolver,
    Sent,
    error_result,
)
from ledger.routes.deps import served

router = APIRouter(route_class=IJsonRoute)


class ToFramework(Exception):
    """A request ``direct`` leaves to the framework's routing, as the framework would route it."""


PATH_PREFIX: Final = "/1.0/identifiers/"
RESULT: Final = {"schema": {"$ref": "#/components/schemas/ResolutionResult"}}
ERROR_RESULT: Final = {CONTENT_TYPE: RESULT}
DOCUMENT_ONLY: Final = frozenset(
    ("application/did", "application/did+json", "application/did+ld+json")
)
# Media ranges of an Accept header looked at: a client names two or three; the rest of a
# hostile header (up to a request head's 16 KiB) is not read.
MAX_MEDIA_RANGES: Final = 32
# Accept headers whose reading is kept: clients send one or two each, over and over.
MAX_ACCEPTS_KEPT: Final = 64
# Longest option values we accept: a version id is "<n>-<64 hex>", a time an ISO 8601 string.
MAX_OPTION_CHARS: Final = 100
# Queries whose options are kept read (``options``): the few every client sends stay, one
# naming a version each time passes through; a query is at most a request head's 16 KiB.
MAX_QUERIES_KEPT: Final = 64
NO_OPTIONS: Final[Mapping[str, str]] = MappingProxyType({})
PARAMETERS: Final[list[dict[str, Any]]] = [
    {
        "name": "did",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "title": "Did", **constraints.did()},
    },
    {
        "name": "versionId",
        "in": "query",
        "required": False,
        "schema": constraints.string(constraints.VERSION_ID, MAX_OPTION_CHARS),
        "description": "A version: its number, or its full id `<n>-<leaf hash>`.",
    },
    {
        "name": "versionTime",
        "in": "query",
        "required": False,
        "schema": constraints.time_schema(),
        "description": "The version in force at this time (XML Schema dateTime).",
    },
    {
        "name": "withProof",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean"},
        "description": "Add the entry, its inclusion proof and the checkpoint.",
    },
]


@router.get(
    PATH_PREFIX + "{did:path}",
    tags=["did"],
    summary="Resolve a did:civicid (DID Resolution; versionId / versionTime; withProof)",
    response_model=ResolutionResult,
    responses={
        200: {"content": {CONTENT_TYPE: RESULT, DOCUMENT_TYPE: {"schema": {"type": "object"}}}},
        400: {"description": "Invalid DID or options (an error result)", "content": ERROR_RESULT},
        404: {"description": "Not found (an error result)", "content": ERROR_RESULT},
        410: {"description": "Deactivated: metadata and no document", "content": ERROR_RESULT},
        501: {"description": "Not a did:civicid (an error result)", "content": ERROR_RESULT},
        500: {
            "description": "INTERNAL_ERROR, e.g. no proof served: the ledger's stored hashes "
            "were found wrong (an error result, snapshot_hashes_mismatch)",
            "content": ERROR_RESULT,
        },
    },
    openapi_extra={"parameters": PARAMETERS},
)
async def resolve(request: Request) -> Response:
    # The framework's route, for the API description and for requests the app's direct
    # dispatch leaves to the framework (under a root path, or a bug's second try): the
    # answer is the direct one's (``answer``).
    resolver: Resolver = request.app.state.resolver
    # The DID as the path spells it, as ``direct`` reads it: the route's pattern would drop a
    # final newline (``$``), and a DID with one must be refused, not resolved without it.
    did = get_route_path(request.scope)[len(PATH_PREFIX) :]
    scope = request.scope
    status, body, headers = answer(resolver, did, scope["query_string"], accept(scope))
    response = Response(body, status)
    response.raw_headers = headers[:]  # the direct answer's, in a list of this response's own
    return response


@lru_cache(maxsize=MAX_QUERIES_KEPT)
def options(query: bytes) -> Mapping[str, str]:
    """The query's options as the framework reads them (``Request.query_params``: every
    pair kept, blank values too; the last of a repeated name wins), read once per query
    (a resolution is asked with a few, ``withProof=true`` most): read-only, as kept."""
    if not query:
        return NO_OPTIONS
    return MappingProxyType(dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)))


@lru_cache(maxsize=MAX_QUERIES_KEPT)
def repeated(query: bytes) -> str | None:
    """An option the query names more than once, if any: which one the client meant is
    not known, so the resolution is refused (``invalidOptions``) rather than one taken."""
    if not query:
        return None
    seen: set[str] = set()
    for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None


@lru_cache(maxsize=MAX_ACCEPTS_KEPT)
def wants_document(accepts: str) -> bool:
    """Whether an Accept header asks for the DID document alone (DID Resolution's HTTP(S)
    binding: ``application/did``, or its JSON and JSON-LD forms) rather than the whole
    resolution result (``application/did-resolution``, the answer to anything else): of the
    media ranges naming one of them, the one of highest weight (RFC 9110 §12.5.1), the first
    of equal ones. ``application/did-resolution`` is not ``application/did``, though it
    begins with it."""
    best, weight = False, 0.0
    for media_range in accepts.split(",", MAX_MEDIA_RANGES)[:MAX_MEDIA_RANGES]:
        kind, *parameters = media_range.split(";")
        kind = kind.strip().lower()
        if kind != CONTENT_TYPE and kind not in DOCUMENT_ONLY:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0  # not a weight: as good as not acceptable
        if q > weight and q <= 1.0:
            best, weight = kind in DOCUMENT_ONLY, q
    return best


def accept(scope: Scope) -> str:
    """The first Accept header, as the framework's ``Request.headers.get`` gives it."""
    for name, value in scope["headers"]:
        if name == b"accept":
            return str(value.decode("latin-1"))
    return ""


def answer(resolver: Resolver, did: str, query: bytes, accepts: str) -> Sent:
    """The binding's answer to a resolution of ``did`` with the options in ``query``: its
    status, body and headers (kept as asked, for the view it is answered at)."""
    view, kept = resolver.answered(did, query, accepts)
    if kept is None:
        anew = answer_anew(resolver, view, did, query, accepts)
        kept = resolver.keep_answered(view, did, query, accepts, anew)
    return kept


def answer_anew(resolver: Resolver, view: View, did: str, query: bytes, accepts: str) -> Resolution:
    """``answer``, at ``view``, from the resolver's state as it is now."""
    twice = repeated(query)
    if twice is not None:
        return error_result(RESOLUTION_OPTIONS_INVALID(f"option {twice!r} given more than once"))
    chosen = options(query)
    version_id, version_time = chosen.get("versionId"), chosen.get("versionTime")
    # Each tested in turn, not by ``any`` over a generator (a frame made per first answer).
    if (version_id is not None and len(version_id) > MAX_OPTION_CHARS) or (
        version_time is not None and len(version_time) > MAX_OPTION_CHARS
    ):
        return error_result(RESOLUTION_OPTIONS_INVALID("option value too long"))
    result = resolver.resolve(
        did,
        version_id=version_id,
        version_time=version_time,
        with_proof=chosen.get("withProof", "false").lower() in ("true", "1"),
        view=view,
    )
    if result.status == 200 and wants_document(accepts):
        document = json.loads(result.body)["didDocument"]
        return Resolution(200, json.dumps(document).encode(), DOCUMENT_TYPE)
    return result


def direct(scope: Scope) -> Sent:
    """``GET /1.0/identifiers/{did}`` answered for the app's own ``__call__`` (the
    framework's routing, middleware and request objects cost more than a cached answer):
    the same answer as ``resolve``, with the headers the framework's ``Response`` sends."""
    resolver: Resolver = served(scope, "resolver")
    did = scope["path"][len(PATH_PREFIX) :]
    if "\n" in did:  # the framework's route does not match it (its pattern's "." stops there)
        raise ToFramework
    return answer(resolver, did, scope["query_string"], accept(scope))
