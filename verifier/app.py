"""The desk's HTTP service: ``create_app(settings)``. The OpenID4VP endpoints a wallet uses,
the JSON API the desk's page polls, and the page itself (template and static files served
here: no external asset). Routes are thin shells over ``verifier.service.Verifier``."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

import segno
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid.errors import METHOD_NOT_ALLOWED, REQUEST_INVALID, ROUTE_NOT_FOUND, Error
from civicid.oid4vp import MAX_RESPONSE_BYTES, OID4VP_RESPONSE_MALFORMED, OID4VP_RESPONSE_TOO_LARGE
from verifier.service import REQUEST_PATH, RESPONSE_PATH, Verifier
from verifier.settings import VerifierSettings

HERE: Final = Path(__file__).parent
REQUEST_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"  # RFC 9101 §10.2
FORM_MEDIA_TYPE: Final = "application/x-www-form-urlencoded"
# The form adds field names and percent-encoding to the vp_token: allow for both.
MAX_FORM_BYTES: Final = 3 * MAX_RESPONSE_BYTES
NO_STORE: Final = {"cache-control": "no-store"}
# The desk's page: our own script and style only; nothing framed, nothing from elsewhere.
SECURITY_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class NewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    policy: str = Field(min_length=1, max_length=64)


def get_verifier(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


VerifierDep = Annotated[Verifier, Depends(get_verifier)]


async def read_form(request: Request) -> dict[str, str]:
    """The direct_post body (OpenID4VP §8.2: application/x-www-form-urlencoded, UTF-8), read
    no further than the limit; a parameter given twice is refused."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_MEDIA_TYPE:
        raise OID4VP_RESPONSE_MALFORMED(f"the response must be {FORM_MEDIA_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise OID4VP_RESPONSE_TOO_LARGE(f"the response is over {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OID4VP_RESPONSE_MALFORMED("the body is not a UTF-8 form") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OID4VP_RESPONSE_MALFORMED(f"{name} appears twice")
        form[name] = value
    return form


def qr_svg(link: str) -> str:
    """The link as a QR code (a standalone SVG: dark on white, a quiet zone) the desk's
    screen shows; error correction M survives a glare or a smudge on the screen."""
    out = io.BytesIO()
    segno.make(link, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        scale=4,
        border=4,
        dark="#000000",
        light="#ffffff",
        title=link,
    )
    return out.getvalue().decode("utf-8")


def create_app(
    settings: VerifierSettings | None = None,
    *,
    verifier: Verifier | None = None,
    opener: Callable[[VerifierSettings], Verifier] | None = None,
) -> FastAPI:
    """The app; pass ``verifier`` to serve one already open (tests, demo), else it opens the
    desk of ``settings.data_dir`` at start-up (policies checked against the ledger)."""
    settings = settings or VerifierSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = verifier is None
        opened = verifier if verifier is not None else (opener or Verifier.open)(settings)
        app.state.verifier = opened
        try:
            yield
        finally:
            if owned:
                opened.close()

    app = FastAPI(
        title="CivicID verifier",
        version="0.1.0",
        description="A service desk: OpenID4VP requests from eligibility policies, checks "
        "against the ledger, decisions and signed receipts.",
        lifespan=lifespan,
        # FastAPI's /docs pages load their scripts from a CDN: this desk serves no external
        # asset, so only the machine-readable /openapi.json is offered.
        docs_url=None,
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(Error)
    async def on_error(_: Request, exc: Error) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.http_status, headers=NO_STORE)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return JSONResponse(REQUEST_INVALID(where[:500]).to_json(), 400)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: ROUTE_NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(exc.status_code, REQUEST_INVALID)
        body = code(str(exc.detail)).to_json()
        return JSONResponse(body, exc.status_code, headers=exc.headers)

    @app.get("/health", tags=["service"], summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, tags=["desk"], summary="The desk's page")
    async def desk_page(request: Request, verifier: VerifierDep) -> Response:
        policies = sorted(verifier.policies.values(), key=lambda p: p.title)
        response = templates.TemplateResponse(
            request, "desk.html", {"policies": policies, "desk": verifier.desk.did}
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.get("/policies", tags=["desk"], summary="The desk's policies")
    async def policies(verifier: VerifierDep) -> list[dict[str, Any]]:
        return verifier.policies_json()

    @app.post("/requests", tags=["desk"], status_code=201, summary="Start a request for a policy")
    async def new_request(body: NewRequest, verifier: VerifierDep) -> JSONResponse:
        created = await run_in_threadpool(verifier.create_request, body.policy)
        data = created.to_json()
        data["qr"] = f"/transactions/{created.transaction_id}/qr.svg"
        data["status_url"] = f"/transactions/{created.transaction_id}"
        return JSONResponse(data, status_code=201, headers=NO_STORE)

    @app.get("/transactions/{transaction_id}", tags=["desk"], summary="A request's status")
    async def transaction(transaction_id: str, verifier: VerifierDep) -> JSONResponse:
        data = await run_in_threadpool(verifier.transaction, transaction_id)
        return JSONResponse(data, headers=NO_STORE)

    @app.get("/transactions/{transaction_id}/qr.svg", tags=["desk"], summary="The QR code")
    async def transaction_qr(transaction_id: str, verifier: VerifierDep) -> Response:
        pending = await run_in_threadpool(verifier.store.by_transaction, transaction_id)
        link = verifier.link_for(pending.id)
        return Response(qr_svg(link), media_type="image/svg+xml", headers=NO_STORE)

    @app.get(REQUEST_PATH + "{request_id}", tags=["openid4vp"], summary="The request object")
    async def request_object(request_id: str, verifier: VerifierDep) -> Response:
        token = await run_in_threadpool(verifier.request_object, request_id)
        return Response(token, media_type=REQUEST_MEDIA_TYPE, headers=NO_STORE)

    @app.post(RESPONSE_PATH, tags=["openid4vp"], summary="The wallet's direct_post answer")
    async def response(request: Request, verifier: VerifierDep) -> JSONResponse:
        form = await read_form(request)
        answered = await run_in_threadpool(verifier.receive_response, form)
        return JSONResponse(answered.to_json(), headers=NO_STORE)

    return app
