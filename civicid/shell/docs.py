"""Swagger UI and ReDoc served by each service itself: their assets come from the installed
``fastapi-offline`` package's files, so ``/docs`` works with no network (no CDN)."""

from __future__ import annotations

import importlib.resources
from typing import Final

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from civicid.errors import ROUTE_NOT_FOUND
from civicid.shell.ijson import IJsonRoute

router = APIRouter(route_class=IJsonRoute, include_in_schema=False)
ASSETS: Final = "/docs-assets"
# The only files served from the package, with their media types.
MEDIA_TYPES: Final = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
# Assets change only with the package version: let browsers keep them for a day.
CACHE: Final = {"cache-control": "public, max-age=86400"}


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title}: API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title}: API",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSETS + "/{name}")
async def asset(name: str) -> Response:
    media_type = MEDIA_TYPES.get(name)
    if media_type is None:
        raise ROUTE_NOT_FOUND(f"no asset {name!r}")
    data = (importlib.resources.files("fastapi_offline") / "static" / name).read_bytes()
    return Response(data, media_type=media_type, headers=CACHE)
