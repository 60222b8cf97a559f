"""A service's OpenAPI description as it really behaves: the error statuses each route
answers, with our error body, and 400 (never FastAPI's default 422) for bad input."""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from civicid.oid4vp_form import FORM_MEDIA_TYPE
from civicid.shell.errors import HOST_NOT_ALLOWED
from civicid.wire import ErrorBody

JOSE: Final = "application/jose"  # RFC 7515 §9.2.1: a compact JWS
ERROR_DESCRIPTIONS: Final = {
    400: "Malformed input or a failed verification",
    401: "No credentials, or credentials that do not authenticate",
    403: "Refused by a rule (authority, replay, time)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflicts with the current state (stale head, replay, existing record)",
    410: "Gone (a deactivated DID)",
    413: "Too large",
    422: "Well-formed, but a proof in it does not verify (a witness's consistency proof)",
    431: "Request line and headers too large",
    502: "A service this one relies on (the ledger) answered wrongly or not at all",
    503: "The store is unavailable, locked or stopped after a failure",
}

# Named in every operation of a service that checks Host (``install``).
HOST_REFUSED: Final = (
    f"`{HOST_NOT_ALLOWED.name}`: the request's Host names none of the names this service "
    "answers to (its public URL's, the address it is bound to, the loopback names, its "
    "`allowed_hosts`)"
)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers these error statuses with our error body."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


COMPONENT: Final = "#/components/schemas/{model}"
# The error bodies: ours, and OAuth's (RFC 6749 §5.2) where a protocol asks for it.
ERROR_MODELS: Final = ("/ErrorBody", "/ErrorResponse")
FORM: Final = FORM_MEDIA_TYPE  # the bodies of OAuth's token endpoint and of a direct_post


def request_body(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the route's body, for a route that reads the
    body itself (within its limit, with its own codes). Nested models become components."""
    schema = model.model_json_schema(by_alias=True, ref_template=COMPONENT)
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def _errors_as_json(responses: dict[str, Any]) -> None:
    """An error body is JSON whatever the route answers when it succeeds (a checkpoint's
    text, a QR code's image): FastAPI files it under the route's own media type."""
    for status, response in responses.items():
        if not (status.isdigit() and int(status) >= 400):
            continue
        content = response.get("content", {})
        for media_type in [m for m in content if m != "application/json"]:
            ref = content[media_type].get("schema", {}).get("$ref", "")
            if ref.endswith(ERROR_MODELS):
                content.setdefault("application/json", content.pop(media_type))


def _hoist_definitions(schema: dict[str, Any]) -> None:
    """Move the ``$defs`` of bodies declared by ``request_body`` to the components, where
    their references point."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            for body in content.values():
                components.update(body.get("schema", {}).pop("$defs", {}))


def _host_refused(responses: dict[str, Any], error_ref: dict[str, str]) -> None:
    """The operation of a service that checks Host may answer 400 ``host_not_allowed``
    (``dispatch.ServiceApp``), whatever else it answers 400 for."""
    refused = responses.setdefault(
        "400",
        {
            "description": ERROR_DESCRIPTIONS[400],
            "content": {"application/json": {"schema": error_ref}},
        },
    )
    refused["description"] = f"{refused['description']}; {HOST_REFUSED}"


def install(app: FastAPI, *, host_checked: bool = False) -> None:
    """Generate the description once, then drop the 422 FastAPI adds (we answer 400, with
    our error body, for anything the framework's validation refuses); with
    ``host_checked``, every operation names the 400 of a Host the service does not serve."""

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
                _errors_as_json(responses)
                if responses.pop("422", None) is not None:
                    responses.setdefault(
                        "400",
                        {
                            "description": ERROR_DESCRIPTIONS[400],
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
                if host_checked:
                    _host_refused(responses, error_ref)
        _hoist_definitions(schema)
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
