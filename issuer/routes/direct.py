"""The wallet's calls of an issuance (token, nonce, credential, an offer by reference) answered
straight from the ASGI scope, as the ledger answers DID resolution (``ledger/app.py``): no
request or response objects, no models built only to be dumped again. The body is read from
``receive`` under the routes' limit, and the answer (status, body, every header) is the one
the framework's route in ``oid4vci.py`` gives, byte for byte; tests hold the two equal for
good requests and for every refusal.

A refusal is raised, as in the routes: the app answers it through its own exception handlers
(OAuth's error shape, once the refusal's audit record is durable), so a refusal is told the
same whichever way the request came.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from issuer.errors import ACCESS_TOKEN_INVALID, BODY_TOO_LARGE
from issuer.routes.deps import MAX_BODY_BYTES, call, durable
from issuer.routes.oid4vci import credential_request, token_request
from issuer.service import Issuer

# An answer: its status, its body and its headers, as the server sends them.
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]
DirectRoute = Callable[[Issuer, Scope, Receive], Awaitable[Answer]]

OFFERS_PREFIX: Final = "/offers/"
_JSON: Final = (b"content-type", b"application/json")
_NO_STORE: Final = (b"cache-control", b"no-store")
_NO_CACHE: Final = (b"pragma", b"no-cache")  # RFC 6749 §5.1, beside no-store
# The routes' encoder (``deps.json_response``): compact, UTF-8 as it is.
_ENCODE: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_CREDENTIALS_OPEN: Final = '{"credentials":[{"credential":"'
_CREDENTIALS_BETWEEN: Final = '"},{"credential":"'
_CREDENTIALS_CLOSE: Final = '"}]}'


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the (lower-case) header ``name``, as the framework reads it."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def bearer(scope: Scope) -> str | None:
    """RFC 6750 §2.1: ``Authorization: Bearer <token>`` (``deps.bearer``)."""
    scheme, _, token = (header(scope, b"authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def read_body(scope: Scope, receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, at most ``limit`` bytes (``deps.read_limited``)."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BODY_TOO_LARGE(f"the request body is over {limit} bytes")
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        if message["type"] != "http.request":
            continue
        chunk = message.get("body", b"")
        if chunk:
            body += chunk
            if len(body) > limit:
                raise BODY_TOO_LARGE(f"the request body is over {limit} bytes")
        if not message.get("more_body", False):
            return body


def ok(body: str, *headers: tuple[bytes, bytes]) -> Answer:
    """A 200 JSON answer, its headers in the order the framework's response puts them."""
    raw = body.encode("utf-8")
    return 200, raw, [*headers, (b"content-length", str(len(raw)).encode("latin-1")), _JSON]


async def token(issuer: Issuer, scope: Scope, receive: Receive) -> Answer:
    """``POST /token`` (OpenID4VCI §6)."""
    parsed = token_request(await read_body(scope, receive))
    answer = await durable(issuer.token_begin, parsed)
    body = {
        "access_token": answer.access_token,
        "token_type": answer.token_type,
        "expires_in": answer.expires_in,
    }
    return ok(_ENCODE(body), _NO_STORE, _NO_CACHE)


async def nonce(issuer: Issuer, scope: Scope, receive: Receive) -> Answer:
    """``POST /nonce`` (§7): no body is read."""
    answer = await call(issuer.nonce) if issuer.shared else issuer.nonce()
    return ok(_ENCODE({"c_nonce": answer.c_nonce}), _NO_STORE)


async def credential(issuer: Issuer, scope: Scope, receive: Receive) -> Answer:
    """``POST /credential`` (§8): the token is asked for before the body is read."""
    access_token = bearer(scope)
    if access_token is None:  # RFC 6750 §3.1: no token is told before anything else
        raise ACCESS_TOKEN_INVALID("send the access token from the token endpoint")
    parsed = credential_request(await read_body(scope, receive))
    credentials = await durable(issuer.credential_request_begin, access_token, parsed)
    return ok(credentials_json(list(credentials)), _NO_STORE)


def credentials_json(credentials: list[str | dict[str, Any]]) -> str:
    """``{"credentials":[{"credential":...},...]}`` as the routes' encoder writes it. SD-JWTs
    (ours: base64url's characters, '.' and '~', none of which JSON escapes) are written
    without the encoder's scan of every character (~20 µs for a batch of 4)."""
    texts = [c for c in credentials if isinstance(c, str)]
    if not texts or len(texts) != len(credentials):
        return _ENCODE({"credentials": [{"credential": c} for c in credentials]})
    return _CREDENTIALS_OPEN + _CREDENTIALS_BETWEEN.join(texts) + _CREDENTIALS_CLOSE


async def offer(issuer: Issuer, scope: Scope, receive: Receive) -> Answer:
    """``GET /offers/{offer_id}`` (§4.1.3), served once."""
    offer_id = scope["path"][len(OFFERS_PREFIX) :]
    return ok(_ENCODE(await durable(issuer.fetch_offer_begin, offer_id)), _NO_STORE)


def direct_route(method: str, path: str) -> DirectRoute | None:
    """The direct answer to ``method`` on ``path``, if it has one."""
    if method == "POST":
        return POSTS.get(path)
    if method == "GET" and path.startswith(OFFERS_PREFIX):
        offer_id = path[len(OFFERS_PREFIX) :]
        # The route's path parameter: one segment, not empty (else no route matches).
        return offer if offer_id and "/" not in offer_id else None
    return None


POSTS: Final[dict[str, DirectRoute]] = {
    "/token": token,
    "/nonce": nonce,
    "/credential": credential,
}
