"""The public transparency page and its two static files: read-only, no login, served by
every process that serves the ledger's read API (a mirror too)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from civicid.errors import NotFound, declare
from civicid.names import accept_language
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors
from civicid.tlog_policy import TlogPolicy
from ledger.errors import LEDGER_NOT_INITIALIZED
from ledger.routes.deps import LedgerDep
from ledger.transparency.numbers import count
from ledger.transparency.page import Transparency

PAGE_FILE_NOT_FOUND = declare(
    "page_file_not_found", NotFound, "the transparency page has no file of that name"
)

router = APIRouter(route_class=IJsonRoute, tags=["transparency"])
HERE: Final = Path(__file__).resolve().parents[1] / "transparency"
PAGE: Final = "/transparency"
STATIC: Final = {  # the only files served, by name
    "transparency.css": "text/css; charset=utf-8",
    "transparency.js": "text/javascript; charset=utf-8",
}
# Our own script and style only, nothing framed; the script fetches from this origin alone.
SECURITY_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@functools.cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=str(HERE / "templates"))
    found.env.filters["count"] = count  # every count on the page: {{ n|count }}
    return found


async def get_transparency(request: Request) -> Transparency:
    """The page's tally and names, made on first use by any app that includes this router
    (the ledger's, a mirror's); a race only makes one that is dropped."""
    found: Transparency | None = getattr(request.app.state, "transparency", None)
    if found is None:
        found = request.app.state.transparency = Transparency()
    return found


def witness_policy(request: Request) -> TlogPolicy | None:
    """The witness policy the ledger serves under, if this process runs its witnessing."""
    witnessing = getattr(request.app.state, "witnessing", None)
    policy: TlogPolicy | None = getattr(witnessing, "policy", None)
    return policy


TransparencyDep = Annotated[Transparency, Depends(get_transparency)]


@router.get(
    PAGE,
    response_class=HTMLResponse,
    summary="The public transparency page (HTML)",
    responses=errors(404),
)
async def transparency_page(
    request: Request, ledger: LedgerDep, transparency: TransparencyDep
) -> Response:
    if ledger.state.origin is None or not ledger.checkpoint:
        raise LEDGER_NOT_INITIALIZED("the ledger has no checkpoint yet")
    languages = (*accept_language(request.headers.get("accept-language", "")), "en")
    policy = witness_policy(request)
    page = await run_in_threadpool(transparency.page, ledger, languages, policy)
    response = templates().TemplateResponse(request, "transparency.html", {"page": page})
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/", include_in_schema=False)
async def front() -> Response:
    return RedirectResponse(PAGE)


@router.get(PAGE + "/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    media_type = STATIC.get(name)
    if media_type is None:
        raise PAGE_FILE_NOT_FOUND(f"no file {name!r}; the page has {', '.join(STATIC)}")
    content = (HERE / "static" / name).read_bytes()
    return Response(content, media_type=media_type, headers=SECURITY_HEADERS)
