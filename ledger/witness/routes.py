"""The witness's routes: ``POST /add-checkpoint`` (tlog-witness v1.0.0, text in, cosignature
lines out), ``GET /status`` and ``GET /evidence`` (JSON). Thin: they call ``Witness``."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors
from civicid.wire import constraints
from ledger.witness.errors import WITNESS_REQUEST_TOO_LARGE
from ledger.witness.evidence import EVIDENCE_ID_HEX, EVIDENCE_PAGE, MAX_EVIDENCE_PAGE
from ledger.witness.models import EvidenceList, EvidenceView, WitnessHealth, WitnessStatus
from ledger.witness.request import MAX_REQUEST_BYTES
from ledger.witness.witness import Witness

router = APIRouter(route_class=IJsonRoute)
EVIDENCE_ID: Final = re.compile(f"^[0-9a-f]{{{EVIDENCE_ID_HEX}}}$")
# tlog-witness: the cosignature lines are note signature lines, sent as text.
NOTE_TEXT: Final = "text/plain; charset=utf-8"


async def get_witness(request: Request) -> Witness:
    witness: Witness = request.app.state.witness
    return witness


WitnessDep = Annotated[Witness, Depends(get_witness)]

ADD_CHECKPOINT_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "`old <size>`, the consistency proof (one base64 hash a line, at most"
        " 63), an empty line, then the signed checkpoint note.",
        "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_REQUEST_BYTES}}},
    }
}


async def read_limited(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise WITNESS_REQUEST_TOO_LARGE(f"the body is over {MAX_REQUEST_BYTES} bytes")
    return bytes(body)


@router.post(
    "/add-checkpoint",
    tags=["witness"],
    summary="Cosign a checkpoint consistent with the last one cosigned",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        409: {
            "description": "The old size is not the last size cosigned (its size, as"
            " `text/x.tlog.size`), or the log signed two roots for one size (JSON).",
            "content": {"text/x.tlog.size": {"schema": {"type": "string"}}},
        },
        **errors(400, 403, 404, 413, 422),
    },
    openapi_extra=ADD_CHECKPOINT_BODY,
)
async def add_checkpoint(request: Request, witness: WitnessDep) -> Response:
    """Answers the cosignature line once the new state is durable; a refusal changes
    nothing stored (evidence of a conflict is kept)."""
    body = await read_limited(request)
    lines = await run_in_threadpool(witness.add_checkpoint, body)
    return PlainTextResponse(lines, media_type=NOTE_TEXT)


@router.get(
    "/health",
    tags=["service"],
    summary="Liveness, the witness's name and its cosigner key",
    response_model=WitnessHealth,
)
async def health(witness: WitnessDep) -> Response:
    found = WitnessHealth(status="ok", name=witness.key.name, vkey=witness.key.vkey())
    return Response(found.to_bytes(), media_type="application/json")


@router.get(
    "/status",
    tags=["witness"],
    summary="The witness's key, the logs it follows and what it cosigned last",
    response_model=WitnessStatus,
)
async def status(witness: WitnessDep) -> Response:
    return Response(witness.status().to_bytes(), media_type="application/json")


@router.get(
    "/evidence",
    tags=["witness"],
    summary="The pairs of conflicting checkpoints a log signed, as the signed notes, oldest"
    " first, a page at a time",
    description=f"{EVIDENCE_PAGE} pieces a page (`limit` up to {MAX_EVIDENCE_PAGE}: a piece"
    " holds two signed notes, up to ~320 KB); `next`, when more follow, is the `after` of the"
    " next page. `GET /status` lists every piece's id; `GET /evidence/{id}` answers one.",
    response_model=EvidenceList,
    responses=errors(400),
)
async def evidence(
    witness: WitnessDep,
    after: Annotated[
        int, Query(ge=0, description="Only the pieces after this many (the last page's `next`).")
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_EVIDENCE_PAGE, description="At most this many pieces.")
    ] = EVIDENCE_PAGE,
) -> Response:
    page, following = witness.evidence.page(after, limit)
    listed = EvidenceList(evidence=[e.to_view() for e in page], next=following)
    return Response(listed.to_bytes(), media_type="application/json")


@router.get(
    "/evidence/{evidence_id}",
    tags=["witness"],
    summary="One piece of evidence",
    response_model=EvidenceView,
    responses=errors(404),
)
async def one_evidence(
    witness: WitnessDep,
    evidence_id: Annotated[
        str,
        Path(
            max_length=EVIDENCE_ID_HEX,
            json_schema_extra=constraints.string(EVIDENCE_ID.pattern, EVIDENCE_ID_HEX),
        ),
    ],
) -> Response:
    found = witness.evidence.get(evidence_id)
    return Response(found.to_view().to_bytes(), media_type="application/json")
