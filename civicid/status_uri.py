"""Status list URIs: one spelling each (RFC 3986 normal form), and bound to their agency.

A list's URI is what credentials carry in ``status.status_list.uri`` and what verifiers ask
the ledger for, so ``HTTPS://Health.example:443/status/./1`` and
``https://health.example/status/1`` must be one list, and no agency may take a URI that
another agency's credentials point at. The binding chosen: a URI must lie under a base URL
that a service of its publisher's *first* DID document names. That document is the one
governance endorsed (the DID is the hash of it), so governance vetted which hosts the agency
speaks for when it admitted it; a later update cannot add someone else's host. An agency
publishing at ``<public base URL>/status/<n>`` registers with ``status_service(base URL)``
in its document (``civicid ledger register NAME --role agency --service URL``).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final
from urllib.parse import urlsplit

from civicid.errors import Error, InvalidInput, Refused, declare

STATUS_LIST_URI_INVALID = declare(
    "status_list_uri_invalid", InvalidInput, "the status list URI is invalid"
)
STATUS_LIST_URI_NOT_NORMAL = declare(
    "status_list_uri_not_normal",
    InvalidInput,
    "the status list URI is not in its RFC 3986 normal form",
)
STATUS_LIST_URI_UNBOUND = declare(
    "status_list_uri_unbound",
    Refused,
    "the status list URI is not under a base URL its publisher's DID names",
)

# A status list URI is what credentials carry in status.status_list.uri: an https URL, or
# plain http on a loopback host only (an issuer on one machine, as OpenID4VCI's issuer
# identifiers allow there). Short enough to index and to print.
MAX_STATUS_URI_CHARS: Final = 255
# The service type of an agency's base URL in its DID document (any service's URL counts).
SERVICE_TYPE: Final = "CredentialStatusLists"
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "[::1]"})
DEFAULT_PORTS: Final = {"https": 443, "http": 80}
_LABEL: Final = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_HOST: Final = re.compile(rf"^(\[[0-9a-f:.]+\]|{_LABEL}(\.{_LABEL})*)$")
_PCT: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters a URI may hold as they are (RFC 3986 §2: unreserved, reserved, and '%').
_URI_CHARS: Final = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def _percent(text: str) -> str:
    """RFC 3986 §6.2.2.1-2: percent-encodings in upper case; unreserved ones decoded."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PCT.sub(one, text)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as written."""
    output: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./") or path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if output:
                output.pop()
        elif path == "/..":
            path = "/"
            if output:
                output.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end < 0 else end
            output.append(path[:end])
            path = path[end:]
    return "".join(output)


def normalize_uri(uri: Any) -> str:
    """``uri`` in its RFC 3986 §6.2.2-6.2.3 normal form (scheme and host in lower case,
    percent-encodings normalized, dot segments removed, the scheme's default port dropped,
    an empty path as "/"), or ``status_list_uri_invalid`` if it is no status list URI at all:
    https (http on loopback only), a host, no user info, no fragment."""
    if not isinstance(uri, str) or not 0 < len(uri) <= MAX_STATUS_URI_CHARS:
        raise STATUS_LIST_URI_INVALID(f"a URI of 1 to {MAX_STATUS_URI_CHARS} characters")
    return _normal_form(uri)


# A desk checks a few lists' URIs again and again (one per presentation): their normal forms
# are remembered (a refusal is not: it is raised anew each time).
MAX_NORMAL_FORMS: Final = 4096


@functools.lru_cache(maxsize=MAX_NORMAL_FORMS)
def _normal_form(uri: str) -> str:
    if not _URI_CHARS.fullmatch(uri):
        raise STATUS_LIST_URI_INVALID("the URI has characters RFC 3986 does not allow")
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as exc:
        raise STATUS_LIST_URI_INVALID(f"not a URI: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise STATUS_LIST_URI_INVALID("a status list URI is an https:// URL")
    if "@" in parts.netloc or parts.fragment or "#" in uri:
        raise STATUS_LIST_URI_INVALID("a status list URI has no user info and no fragment")
    host = parts.netloc.rpartition(":")[0] if parts.port is not None else parts.netloc
    host = _percent(host).lower()
    if not _HOST.fullmatch(host):
        raise STATUS_LIST_URI_INVALID(f"{host!r} is not a host name or IP literal")
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise STATUS_LIST_URI_INVALID("plain http only on a loopback host")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = remove_dot_segments(_percent(parts.path)) or "/"
    query = f"?{_percent(parts.query)}" if parts.query else ""
    return f"{scheme}://{netloc}{path}{query}"


def check_status_uri(uri: Any) -> str:
    """``uri`` if it is a status list URI in its normal form (one list, one spelling)."""
    normal = normalize_uri(uri)
    if normal != uri:
        raise STATUS_LIST_URI_NOT_NORMAL(f"write it as {normal}")
    return normal


def status_service(base_url: str, fragment: str = "status-lists") -> dict[str, Any]:
    """The DID document service naming an agency's base URL: its status lists live under
    it (``<base URL>/status/<n>``). Put it in the document the agency registers with."""
    return {"id": f"#{fragment}", "type": SERVICE_TYPE, "serviceEndpoint": base_url}


def base_urls(document: dict[str, Any]) -> tuple[str, ...]:
    """The base URLs a DID document names as services (string endpoints that are status
    list URIs themselves), normalized, each ending in "/"."""
    bases = []
    for service in document.get("service") or []:
        endpoint = service.get("serviceEndpoint") if isinstance(service, dict) else None
        try:
            normal = normalize_uri(endpoint)
        except Error:
            continue
        bases.append(normal if normal.endswith("/") else normal + "/")
    return tuple(bases)


def check_bound(uri: str, bases: tuple[str, ...]) -> None:
    """The (normal) ``uri`` lies under one of the publisher's ``bases``."""
    if not any(uri.startswith(base) for base in bases):
        named = ", ".join(bases) or "none"
        raise STATUS_LIST_URI_UNBOUND(f"{uri} is under none of its publisher's base URLs ({named})")
