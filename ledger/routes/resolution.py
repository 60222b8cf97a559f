"""DID Resolution HTTP(S) binding: ``GET /1.0/identifiers/{did}``.

The hottest route: it reads the DID and its options straight from the request (declared for
OpenAPI below) and returns cached bytes, so a resolution costs little beyond the HTTP work.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.wire import ResolutionResult, constraints
from ledger.errors import RESOLUTION_OPTIONS_INVALID
from ledger.resolution import CONTENT_TYPE, DOCUMENT_TYPE, Resolver, error_result

router = APIRouter()
RESULT: Final = {"schema": {"$ref": "#/components/schemas/ResolutionResult"}}
ERROR_RESULT: Final = {CONTENT_TYPE: RESULT}
DOCUMENT_ONLY: Final = ("application/did", "application/did+json", "application/did+ld+json")
# Longest option values we accept: a version id is "<n>-<64 hex>", a time an ISO 8601 string.
MAX_OPTION_CHARS: Final = 100
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
    "/1.0/identifiers/{did:path}",
    tags=["did"],
    summary="Resolve a did:civicid (DID Resolution; versionId / versionTime; withProof)",
    response_model=ResolutionResult,
    responses={
        200: {"content": {CONTENT_TYPE: RESULT, DOCUMENT_TYPE: {"schema": {"type": "object"}}}},
        400: {"description": "Invalid DID or options (an error result)", "content": ERROR_RESULT},
        404: {"description": "Not found (an error result)", "content": ERROR_RESULT},
        410: {"description": "Deactivated: metadata and no document", "content": ERROR_RESULT},
        501: {"description": "Not a did:civicid (an error result)", "content": ERROR_RESULT},
    },
    openapi_extra={"parameters": PARAMETERS},
)
async def resolve(request: Request) -> Response:
    # The path, the options and the resolver are read from the request itself, not declared
    # as parameters and a dependency: FastAPI's solving of those was half of this route's
    # CPU (profiled: docs/performance/README.md, "Ledger"). They are described above.
    did: str = request.path_params["did"]
    resolver: Resolver = request.app.state.resolver
    query = request.query_params
    version_id, version_time = query.get("versionId"), query.get("versionTime")
    if any(v is not None and len(v) > MAX_OPTION_CHARS for v in (version_id, version_time)):
        bad = error_result(RESOLUTION_OPTIONS_INVALID("option value too long"))
        return Response(bad.body, bad.status, media_type=bad.content_type)
    result = resolver.resolve(
        did,
        version_id=version_id,
        version_time=version_time,
        with_proof=query.get("withProof", "false").lower() in ("true", "1"),
    )
    accept = request.headers.get("accept", "")
    if result.status == 200 and accept.startswith(DOCUMENT_ONLY):
        document = json.loads(result.body)["didDocument"]
        return Response(json.dumps(document), 200, media_type=DOCUMENT_TYPE)
    return Response(result.body, result.status, media_type=result.content_type)
