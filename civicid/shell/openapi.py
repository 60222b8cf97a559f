"""A service's OpenAPI description as it really behaves: the error statuses each route
answers, with our error body, and 400 (never FastAPI's default 422) for bad input."""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from civicid.wire import ErrorBody

JOSE: Final = "application/jose"  # RFC 7515 §9.2.1: a compact JWS
ERROR_DESCRIPTIONS: Final = {
    400: "Malformed input or a failed verification",
    403: "Refused by a rule (authority, replay, time)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflicts with the current state (stale head, replay, existing record)",
    410: "Gone (a deactivated DID)",
    413: "Too large",
    431: "Request line and headers too large",
    503: "The store is unavailable, locked or stopped after a failure",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers these error statuses with our error body."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


def install(app: FastAPI) -> None:
    """Generate the description once, then drop the 422 FastAPI adds (we answer 400, with
    our error body, for anything the framework's validation refuses)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        error_ref = {"$ref": "#/components/schemas/ErrorBody"}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault(
                        "400",
                        {
                            "description": ERROR_DESCRIPTIONS[400],
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
