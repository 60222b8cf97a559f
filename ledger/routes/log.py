"""Submit transactions; read entries, checkpoints, inclusion and consistency proofs."""

from __future__ import annotations

import json
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from civicid.encoding import JSON_INVALID, b64_encode
from civicid.merkle import leaf_hash
from civicid.transaction import MAX_TX_BYTES, TX_MALFORMED, TX_TOO_LARGE
from ledger.errors import LEAF_HASH_INVALID, PROOF_REQUEST_INVALID
from ledger.routes.deps import LedgerDep

router = APIRouter()
# A JSON wrapper around the largest transaction stays within this.
MAX_BODY_BYTES: Final = MAX_TX_BYTES + 4096


async def read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > MAX_BODY_BYTES:
            raise TX_TOO_LARGE(f"request body is over {MAX_BODY_BYTES} bytes")
        return await request.body()  # the server stops at the declared length
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TX_TOO_LARGE(f"request body is over {MAX_BODY_BYTES} bytes")
    return bytes(body)


@router.post(
    "/transactions",
    status_code=201,
    tags=["log"],
    summary='Submit a signed transaction (compact JWS, or JSON {"transaction": ...})',
)
async def submit(request: Request, ledger: LedgerDep) -> Response:
    body = await read_limited(request)
    text: str | bytes = body
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            wrapped = json.loads(body)
        except ValueError as exc:
            raise JSON_INVALID("body is not JSON") from exc
        if not isinstance(wrapped, dict) or not isinstance(wrapped.get("transaction"), str):
            raise TX_MALFORMED('expected {"transaction": "<compact JWS>"}')
        text = wrapped["transaction"]
    receipt = await ledger.submit_async(text)
    # Serialized here: the receipt is plain data and FastAPI's encoder would only re-walk it.
    return Response(json.dumps(receipt.to_json()), 201, media_type="application/json")


def entry_json(ledger: LedgerDep, seq: int) -> dict[str, Any]:
    leaf = ledger.entry(seq)
    return {"seq": seq, "leafHash": leaf_hash(leaf).hex(), "transaction": leaf.decode("ascii")}


@router.get("/transactions/{seq}", tags=["log"], summary="An entry by sequence number")
async def get_entry(seq: int, ledger: LedgerDep) -> dict[str, Any]:
    return entry_json(ledger, seq)


@router.get("/transactions/by-hash/{leaf_hash}", tags=["log"], summary="An entry by leaf hash")
async def get_entry_by_hash(leaf_hash: str, ledger: LedgerDep) -> dict[str, Any]:
    try:
        digest = bytes.fromhex(leaf_hash)
    except ValueError as exc:
        raise LEAF_HASH_INVALID("leaf hash must be 64 hex characters") from exc
    return entry_json(ledger, ledger.seq_of(digest))


@router.get(
    "/checkpoint",
    tags=["proofs"],
    response_class=PlainTextResponse,
    summary="The latest signed checkpoint (C2SP tlog-checkpoint signed note)",
)
async def checkpoint(ledger: LedgerDep) -> Response:
    return PlainTextResponse(ledger.checkpoint, media_type="text/plain; charset=utf-8")


@router.get("/proofs/inclusion", tags=["proofs"], summary="RFC 9162 inclusion proof")
async def inclusion(
    ledger: LedgerDep,
    seq: Annotated[int | None, Query(ge=0)] = None,
    leaf_hash: Annotated[str | None, Query(alias="leafHash")] = None,
    tree_size: Annotated[int | None, Query(alias="treeSize")] = None,
) -> dict[str, Any]:
    if (seq is None) == (leaf_hash is None):
        raise PROOF_REQUEST_INVALID("give exactly one of seq and leafHash")
    if leaf_hash is not None:
        try:
            seq = ledger.seq_of(bytes.fromhex(leaf_hash))
        except ValueError as exc:
            raise LEAF_HASH_INVALID("leaf hash must be hex") from exc
    assert seq is not None
    size = ledger.size if tree_size is None else tree_size
    proof = ledger.inclusion_proof(seq, size)
    return {"seq": seq, "treeSize": size, "inclusion": [b64_encode(h) for h in proof]}


@router.get("/proofs/consistency", tags=["proofs"], summary="RFC 9162 consistency proof")
async def consistency(
    ledger: LedgerDep,
    first: Annotated[int, Query(alias="from", ge=1)],
    second: Annotated[int | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    size = ledger.size if second is None else second
    proof = ledger.consistency_proof(first, size)
    return {"from": first, "to": size, "consistency": [b64_encode(h) for h in proof]}


@router.get("/health", tags=["service"], summary="Liveness and the current tree size")
async def health(ledger: LedgerDep) -> dict[str, Any]:
    return {"status": "ok", "size": ledger.size, "origin": ledger.state.origin}
