"""The constraints the services enforce on what they are sent, written once as JSON Schema so
each route declares exactly what it checks (OpenAPI, and the tests that fuzz it).

Each pattern here is checked by code with its own error code (``did_invalid``,
``status_list_uri_invalid``, ...): a value that matches is one that code accepts (the
pattern may be narrower than the code, never wider), so a request valid by the description
is never refused for its form.
"""

from __future__ import annotations

from typing import Any, Final

from civicid.accreditation import MAX_VCT_CHARS, VCT_PATTERN
from civicid.did import DID_PATTERN
from civicid.status_uri import MAX_STATUS_URI_CHARS

DID: Final = DID_PATTERN.pattern
"""A ``did:civicid`` identifier: the method and 32 base32 characters (``civicid.did``)."""

# Any DID (DID Core §3.1), of any method: what a resolver tells from "not our method".
ANY_DID: Final = r"^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*[A-Za-z0-9._-]$"
# DID Core allows long identifiers; ours are 44 characters, other methods' stay under this.
MAX_DID_CHARS: Final = 100

LEAF_HASH: Final = r"^[0-9a-fA-F]{64}$"
"""A leaf hash in a URL or a query: SHA-256 as 64 hexadecimal characters."""

VERSION_ID: Final = r"^[0-9]{1,10}(?:-[0-9a-f]{64})?$"
"""A DID version: its number, or its full id ``<n>-<leaf hash>``."""

# A DNS name as ``civicid.status_uri`` accepts it: lower-case labels, letters and digits,
# inner hyphens.
_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PATH_CHAR: Final = r"[A-Za-z0-9._~!$&'()*+,;=:@-]"
STATUS_LIST_URI: Final = (
    rf"^https://{_LABEL}(?:\.{_LABEL})*(?::[1-9][0-9]{{0,3}})?(?:/{_PATH_CHAR}*)*$"
)
"""A status list URI in the form every client sends it: https, a host, a path (the ledger
also takes any RFC 3986 spelling of one and normalizes it, ``civicid.status_uri``)."""

VCT: Final = VCT_PATTERN.pattern
"""A credential type: an absolute URI (``civicid.accreditation``)."""

# NumericDate up to 11 digits stays below civicid.times.MAX_TIMESTAMP (year 9999).
_NUMERIC_DATE: Final = r"^[0-9]{1,11}$"
# civicid.times.parse_time reads at most this many characters.
MAX_TIME_CHARS: Final = 64


# The years civicid.times.parse_time takes whatever the offset: 1971 to 9998 (it holds
# 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z).
_YEAR: Final = r"(?:197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"


def time_schema() -> dict[str, Any]:
    """A time as input: RFC 3339 (``date-time``) or, as clients may send, a NumericDate."""
    return {
        "anyOf": [
            {
                "type": "string",
                "format": "date-time",
                "pattern": f"^{_YEAR}-",
                "maxLength": MAX_TIME_CHARS,
            },
            {"type": "string", "pattern": _NUMERIC_DATE},
        ]
    }


def string(pattern: str, max_length: int) -> dict[str, Any]:
    """A string of at most ``max_length`` characters matching ``pattern``."""
    return {"type": "string", "pattern": pattern, "maxLength": max_length}


def did() -> dict[str, Any]:
    return string(DID, MAX_DID_CHARS)


def vct() -> dict[str, Any]:
    return string(VCT, MAX_VCT_CHARS)


def status_list_uri() -> dict[str, Any]:
    return string(STATUS_LIST_URI, MAX_STATUS_URI_CHARS)
