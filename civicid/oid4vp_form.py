"""The ``direct_post`` body (OpenID4VP 1.0 §8.2) as a desk reads it: an
``application/x-www-form-urlencoded`` form in UTF-8, each field once, at most a few fields.

One reader for every endpoint that receives an authorization response (the desk's and the
issuer's rule desk), so that they refuse the same forms with the same answers: a body past
``MAX_FORM_BYTES`` is ``oid4vp_response_too_large``, every other refusal
``oid4vp_response_malformed``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Final
from urllib.parse import parse_qsl

from civicid.oid4vp import MAX_RESPONSE_BYTES, OID4VP_RESPONSE_MALFORMED, OID4VP_RESPONSE_TOO_LARGE

FORM_MEDIA_TYPE: Final = "application/x-www-form-urlencoded"
# A direct_post carries state and vp_token, or error and error_description (OpenID4VP §8.2),
# perhaps a few more a wallet adds: past this many fields the form is refused unparsed (a
# megabyte of empty fields held the event loop for over a second each time, split and kept).
MAX_FORM_FIELDS: Final = 16
# The form adds field names and percent-encoding to the vp_token: allow for both.
MAX_FORM_BYTES: Final = 3 * MAX_RESPONSE_BYTES


def check_form_type(content_type: str | None) -> None:
    """Refuses a body that is not declared a form (its parameters, e.g. ``charset``, aside);
    asked before the body is read."""
    if (content_type or "").split(";")[0].strip() != FORM_MEDIA_TYPE:
        raise OID4VP_RESPONSE_MALFORMED(f"the response must be {FORM_MEDIA_TYPE}")


def parse_form(body: bytes) -> dict[str, str]:
    """The form's fields: at most ``MAX_FORM_FIELDS``, each ``name=value`` (a field without
    ``=``, or an empty one between two ``&``, is refused, never skipped), in UTF-8, none
    given twice; its percent-encoded bytes in UTF-8 too."""
    if body.count(b"&") >= MAX_FORM_FIELDS:
        raise OID4VP_RESPONSE_MALFORMED(f"the response has more than {MAX_FORM_FIELDS} fields")
    try:
        # errors="strict": a percent-encoded byte that is not UTF-8 is refused here, not read
        # as U+FFFD (parse_qsl's default) for a later check to refuse, or not.
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise OID4VP_RESPONSE_MALFORMED("the body is not a UTF-8 form") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OID4VP_RESPONSE_MALFORMED(f"{name} appears twice")
        form[name] = value
    return form


async def read_form(content_type: str | None, body: AsyncIterable[bytes]) -> dict[str, str]:
    """The direct_post form: its type checked before ``body`` (the request's chunks) is read,
    read no further than ``MAX_FORM_BYTES``, then parsed (``parse_form``)."""
    check_form_type(content_type)
    read = bytearray()
    async for chunk in body:
        read += chunk
        if len(read) > MAX_FORM_BYTES:
            raise OID4VP_RESPONSE_TOO_LARGE(f"the response is over {MAX_FORM_BYTES} bytes")
    return parse_form(bytes(read))
