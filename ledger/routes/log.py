"""Submit transactions; read entries, checkpoints, the checkpoint key, inclusion and
consistency proofs. Answers are ``civicid.wire`` models, serialized here."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import Scope

from civicid.encoding import JSON_INVALID, parse_json
from civicid.merkle import leaf_hash
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import JOSE, errors
from civicid.transaction import MAX_TX_BYTES, TX_MALFORMED, TX_TOO_LARGE
from civicid.wire import (
    CheckpointKey,
    ConsistencyProof,
    Entry,
    Health,
    InclusionProof,
    Receipt,
    Wire,
    constraints,
)
from ledger.errors import (
    LEAF_HASH_INVALID,
    LEDGER_NOT_INITIALIZED,
    PROOF_REQUEST_INVALID,
)
from ledger.log import Ledger
from ledger.routes.deps import LedgerDep, served
from ledger.sequencer import Reader

router = APIRouter(route_class=IJsonRoute)
CHECKPOINT_KEY_PATH: Final = "/checkpoint-key"
# A JSON wrapper around the largest transaction stays within this.
MAX_BODY_BYTES: Final = MAX_TX_BYTES + 4096
# A leaf hash in a URL or query: 32 bytes, hex.
LEAF_HASH_CHARS: Final = 64
LEAF_HASH: Final = re.compile(constraints.LEAF_HASH)
# A compact JWS (RFC 7515 §7.1): three base64url parts; the middle one may not be empty here.
COMPACT_JWS: Final = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
LeafHashQuery = Annotated[
    str | None,
    Query(
        alias="leafHash",
        max_length=LEAF_HASH_CHARS,
        json_schema_extra=constraints.string(constraints.LEAF_HASH, LEAF_HASH_CHARS),
    ),
]


def answer(model: Wire, status: int = 200) -> Response:
    """Serialized here: the model is plain data; FastAPI's encoder would only re-walk it."""
    return Response(model.to_bytes(), status, media_type="application/json")


async def read_limited(request: Request) -> bytes:
    """The body, at most ``MAX_BODY_BYTES`` (the server holds it to ``body_timeout``: a
    client sending slowly, or not at all, is answered, not waited for)."""
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


SUBMIT_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "A signed transaction: its compact JWS as the body (`application/jose`),"
        ' or wrapped as `{"transaction": "<compact JWS>"}`.',
        "content": {
            JOSE: {"schema": constraints.string(COMPACT_JWS, MAX_TX_BYTES)},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["transaction"],
                    "properties": {"transaction": constraints.string(COMPACT_JWS, MAX_TX_BYTES)},
                }
            },
        },
    }
}


@router.post(
    "/transactions",
    status_code=201,
    tags=["log"],
    summary="Submit a signed transaction",
    response_model=Receipt,
    responses=errors(400, 403, 404, 409, 410, 413, 503),
    openapi_extra=SUBMIT_BODY,
)
async def submit(request: Request, ledger: LedgerDep) -> Response:
    """Answers once the entry is durable and covered by a signed checkpoint (the receipt
    carries it); a refusal names the rule that failed and leaves the log unchanged."""
    body = await read_limited(request)
    text: str | bytes = body
    if request.headers.get("content-type", "").startswith("application/json"):
        # I-JSON: a "transaction" named twice would be the last one here, the first to
        # another reader of the same body.
        wrapped = parse_json(body, code=JSON_INVALID)
        if not isinstance(wrapped, dict) or not isinstance(wrapped.get("transaction"), str):
            raise TX_MALFORMED('expected {"transaction": "<compact JWS>"}')
        text = wrapped["transaction"]
    return answer(await ledger.submit_async(text), 201)


def entry_of(ledger: Ledger, seq: int) -> Entry:
    leaf = ledger.entry(seq)
    return Entry(seq=seq, leaf_hash=leaf_hash(leaf), transaction=leaf.decode("ascii"))


def parse_leaf_hash(text: str) -> bytes:
    if not LEAF_HASH.fullmatch(text):
        raise LEAF_HASH_INVALID("a leaf hash is 64 hexadecimal characters")
    return bytes.fromhex(text)


@router.get(
    "/transactions/{seq}",
    tags=["log"],
    summary="An entry by sequence number",
    response_model=Entry,
    responses=errors(400, 404),
)
async def get_entry(seq: Annotated[int, Path(ge=0)], ledger: LedgerDep) -> Response:
    return answer(entry_of(ledger, seq))


@router.get(
    "/transactions/by-hash/{leaf_hash}",
    tags=["log"],
    summary="An entry by leaf hash (hex)",
    response_model=Entry,
    responses=errors(400, 404),
)
async def get_entry_by_hash(
    leaf_hash: Annotated[
        str, Path(json_schema_extra=constraints.string(constraints.LEAF_HASH, LEAF_HASH_CHARS))
    ],
    ledger: LedgerDep,
) -> Response:
    return answer(entry_of(ledger, ledger.seq_of(parse_leaf_hash(leaf_hash))))


@router.get(
    "/checkpoint",
    tags=["proofs"],
    response_class=PlainTextResponse,
    summary="The latest signed checkpoint (C2SP tlog-checkpoint signed note)",
    responses=errors(404),
)
async def checkpoint(ledger: LedgerDep) -> Response:
    note = ledger.checkpoint
    if not note:
        raise LEDGER_NOT_INITIALIZED("the ledger has no checkpoint yet")
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get(
    CHECKPOINT_KEY_PATH,
    tags=["proofs"],
    summary="The key that signs checkpoints (pin it deliberately: compare with `ledger init`)",
    response_model=CheckpointKey,
    responses=errors(404),
)
async def checkpoint_key(ledger: LedgerDep) -> Response:
    # The framework's route, for the API description, for requests under a root path and for
    # a ledger without a genesis (its error); the app answers the rest itself
    # (``direct_checkpoint_key``), with the same bytes.
    state = ledger.state
    if state.origin is None or state.checkpoint_vkey is None:
        raise LEDGER_NOT_INITIALIZED("the ledger has no genesis yet")
    return answer(CheckpointKey(origin=state.origin, checkpoint_key=state.checkpoint_vkey))


class RenderedKey:
    """The checkpoint key's answer, rendered once for the key it was rendered from (a key
    is set at genesis and never changes; another ledger's is rendered in its place). Kept as
    one tuple, replaced whole, so no reader sees one key's body with another's."""

    __slots__ = ("kept",)

    def __init__(self) -> None:
        self.kept: tuple[str, str, bytes, list[tuple[bytes, bytes]]] | None = None

    def answer(self, origin: str, vkey: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        kept = self.kept
        if kept is None or kept[0] != origin or kept[1] != vkey:
            body = CheckpointKey(origin=origin, checkpoint_key=vkey).to_bytes()
            headers = [
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"content-type", b"application/json"),
            ]
            kept = self.kept = (origin, vkey, body, headers)
        return kept[2], kept[3]


RENDERED_KEY: Final = RenderedKey()


def direct_checkpoint_key(scope: Scope) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
    """``GET /checkpoint-key`` answered for the app's own ``__call__``: the framework route's
    status, body and headers, past its routing and middleware; ``None`` (the framework's
    turn) for a ledger without a genesis, whose error the framework's handlers render, and
    for a query naming a parameter twice, which the framework refuses (``request_invalid``)."""
    query = scope.get("query_string", b"")
    if query and _named_twice(query):
        return None
    state = served(scope, "ledger").state
    origin, vkey = state.origin, state.checkpoint_vkey
    if origin is None or vkey is None:
        return None
    body, headers = RENDERED_KEY.answer(origin, vkey)
    return 200, body, headers


def _named_twice(query: bytes) -> bool:
    names = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
    return len(names) != len(set(names))


@router.get(
    "/proofs/inclusion",
    tags=["proofs"],
    summary="RFC 9162 inclusion proof, by seq or leafHash",
    response_model=InclusionProof,
    responses=errors(400, 404, 503),
)
async def inclusion(
    ledger: LedgerDep,
    seq: Annotated[int | None, Query(ge=0)] = None,
    leaf_hash_hex: LeafHashQuery = None,
    tree_size: Annotated[int | None, Query(alias="treeSize", ge=1)] = None,
) -> Response:
    if (seq is None) == (leaf_hash_hex is None):
        raise PROOF_REQUEST_INVALID("give exactly one of seq and leafHash")
    if leaf_hash_hex is not None:
        seq = ledger.seq_of(parse_leaf_hash(leaf_hash_hex))
    assert seq is not None
    size = ledger.size if tree_size is None else tree_size
    path = ledger.inclusion_proof(seq, size)
    digest = leaf_hash(ledger.entry(seq))
    return answer(InclusionProof(seq=seq, tree_size=size, leaf_hash=digest, inclusion=path))


@router.get(
    "/proofs/consistency",
    tags=["proofs"],
    summary="RFC 9162 consistency proof between two tree sizes",
    response_model=ConsistencyProof,
    responses=errors(400, 503),
)
async def consistency(
    ledger: LedgerDep,
    first: Annotated[int, Query(alias="from", ge=1)],
    second: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> Response:
    size = ledger.size if second is None else second
    path = ledger.consistency_proof(first, size)
    return answer(ConsistencyProof(from_size=first, to=size, consistency=path))


@router.get(
    "/health",
    tags=["service"],
    summary="Liveness, the tree size and the checkpoint key",
    response_model=Health,
)
async def health(ledger: LedgerDep, request: Request) -> Response:
    state = ledger.state
    # A reader that could not take the database's newest checkpoint still answers, from the
    # last one it checked: it says so here (why is in its log).
    behind = isinstance(ledger, Reader) and ledger.behind is not None
    # A tile writer that stopped (a full disk, a file in its way) leaves the log appending
    # but its tiles, and every mirror and monitor reading them, behind: say so.
    writer = getattr(request.app.state, "tile_writer", None)
    tiles = None if writer is None else ("stopped" if writer.failed is not None else "writing")
    # Opened from a snapshot's kept hashes: whether they were found to be the log's.
    check = ledger.integrity
    failed = check.error if check is not None else None
    # A write, sync or check that failed stops the ledger taking entries until restarted
    # (a log cut or replaced while it ran, a full disk): not "ok" while it does.
    failed = failed or ledger.failure
    status = "behind" if behind else "degraded" if tiles == "stopped" else "ok"
    return answer(
        Health(
            status="degraded" if failed is not None else status,
            origin=state.origin,
            tree_size=ledger.size,
            checkpoint_key=state.checkpoint_vkey,
            tiles=tiles,
            integrity=None if check is None else check.status,
            code=None if failed is None else failed.code,
        )
    )
