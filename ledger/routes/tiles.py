"""The log's C2SP tlog-tiles, served under ``/tiles/`` (the same files any static web server
could serve from the tiles directory): ``/tiles/checkpoint``, ``/tiles/tile/<L>/<N>[.p/<W>]``
and ``/tiles/tile/entries/<N>[.p/<W>]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from civicid.errors import NotFound, declare
from civicid.files import read_bounded
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors
from ledger.tile_client import TILE_PATH, max_bytes
from ledger.tiles import CHECKPOINT

router = APIRouter(route_class=IJsonRoute, tags=["tiles"])
TILE_NOT_FOUND = declare("tile_not_found", NotFound, "no such tile")
# tlog-tiles: the checkpoint is mutable ("SHOULD prevent caching beyond a few seconds"),
# tiles and bundles are immutable ("caching headers SHOULD be long-lived").
CHECKPOINT_CACHE: Final = "max-age=2"
TILE_CACHE: Final = "public, max-age=31536000, immutable"
# The longest tile path: "tile/entries32/" and 7 index elements (a uint64) and ".p/255".
MAX_TILE_PATH: Final = 64


def _read(path: Path, relative: str) -> bytes:
    """The file of tile ``relative``, read no further than its kind holds; one that is not a
    regular file (a named pipe, whose opening would wait for a writer for ever, a device) is
    no tile. Read in a worker thread: a bundle may be megabytes, and the event loop serves
    every other request meanwhile."""
    try:
        return read_bounded(path, max_bytes(relative), too_large=TILE_NOT_FOUND,
                            message=f"tile {relative!r} is larger than its kind",
                            not_regular=TILE_NOT_FOUND)  # fmt: skip
    except OSError:
        raise TILE_NOT_FOUND(f"no tile {relative!r}") from None


@router.get(
    "/tiles/{relative:path}",
    summary="The log as C2SP tlog-tiles: checkpoint, hash tiles, entry bundles",
    response_class=Response,
    responses={
        200: {
            "description": "A tile or bundle (bytes), or the checkpoint (a signed note)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
        **errors(404),
    },
)
async def tile(
    request: Request,
    relative: Annotated[str, PathParam(max_length=MAX_TILE_PATH)],
) -> Response:
    directory: Path | None = getattr(request.app.state, "tiles", None)
    if directory is None or not TILE_PATH.fullmatch(relative):
        raise TILE_NOT_FOUND(f"no tile {relative[:MAX_TILE_PATH]!r}")
    data = await run_in_threadpool(_read, directory / relative, relative)
    if relative == CHECKPOINT:
        return Response(data, media_type="text/plain; charset=utf-8",
                        headers={"cache-control": CHECKPOINT_CACHE})  # fmt: skip
    return Response(data, media_type="application/octet-stream",
                    headers={"cache-control": TILE_CACHE})  # fmt: skip
