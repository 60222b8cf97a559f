"""DID Resolution HTTP(S) binding: ``GET /1.0/identifiers/{did}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ledger.resolution import DOCUMENT_TYPE
from ledger.routes.deps import ResolverDep

router = APIRouter()
DOCUMENT_ONLY = ("application/did", "application/did+json", "application/did+ld+json")


@router.get(
    "/1.0/identifiers/{did:path}",
    tags=["did"],
    summary="Resolve a did:civicid (DID Resolution; versionId / versionTime; withProof)",
    responses={200: {"content": {"application/did-resolution": {}}}, 404: {}, 410: {}},
)
async def resolve(
    did: str,
    request: Request,
    resolver: ResolverDep,
    version_id: Annotated[str | None, Query(alias="versionId", max_length=100)] = None,
    version_time: Annotated[str | None, Query(alias="versionTime", max_length=40)] = None,
    with_proof: Annotated[bool, Query(alias="withProof")] = False,
) -> Response:
    result = resolver.resolve(
        did, version_id=version_id, version_time=version_time, with_proof=with_proof
    )
    accept = request.headers.get("accept", "")
    if result.status == 200 and any(accept.startswith(t) for t in DOCUMENT_ONLY):
        import json

        document = json.loads(result.body)["didDocument"]
        return Response(json.dumps(document), 200, media_type=DOCUMENT_TYPE)
    return Response(result.body, result.status, media_type=result.content_type)
