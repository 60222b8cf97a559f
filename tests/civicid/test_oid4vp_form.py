"""The direct_post form (``civicid.oid4vp_form``): every refusal is
``oid4vp_response_malformed`` with its own words. ``REFUSED`` is shared by the tests of the
routes that parse it (the desk's and the issuer's rule desk) so that both are held to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from civicid.errors import Error
from civicid.oid4vp import OID4VP_RESPONSE_MALFORMED, OID4VP_RESPONSE_TOO_LARGE
from civicid.oid4vp_form import (
    FORM_MEDIA_TYPE,
    MAX_FORM_BYTES,
    MAX_FORM_FIELDS,
    check_form_type,
    parse_form,
    read_form,
)

STATE = "s" * 32
VP_TOKEN = '{"credential": ["x~"]}'
FIELDS = [urlencode({"state": STATE, "vp_token": VP_TOKEN})]
# At the bound: state, vp_token and as many empty extras as the bound leaves.
AT_THE_BOUND = "&".join(FIELDS + [f"x{i}=" for i in range(MAX_FORM_FIELDS - 2)]).encode()
OVER_THE_BOUND = AT_THE_BOUND + b"&x="

# (body, content type, the refusal's words)
REFUSED: list[tuple[bytes, str | None, str]] = [
    (b'{"state": "x"}', "application/json", f"the response must be {FORM_MEDIA_TYPE}"),
    (AT_THE_BOUND, "text/plain", f"the response must be {FORM_MEDIA_TYPE}"),
    (AT_THE_BOUND, None, f"the response must be {FORM_MEDIA_TYPE}"),
    (OVER_THE_BOUND, FORM_MEDIA_TYPE, f"the response has more than {MAX_FORM_FIELDS} fields"),
    (
        b"&" * MAX_FORM_FIELDS,
        FORM_MEDIA_TYPE,
        f"the response has more than {MAX_FORM_FIELDS} fields",
    ),
    (f"state={STATE}&vp_token=%7B%7D&state=t".encode(), FORM_MEDIA_TYPE, "state appears twice"),
    (
        b"state=caf\xe9&vp_token=%7B%7D",
        FORM_MEDIA_TYPE,
        "the body is not a UTF-8 form",
    ),
    # Percent-encoded bytes that are not UTF-8, in a value and in a name: refused here, not
    # read as U+FFFD for a later check to refuse (or not).
    (b"state=caf%E9&vp_token=%7B%7D", FORM_MEDIA_TYPE, "the body is not a UTF-8 form"),
    (b"st%FFate=x&vp_token=%7B%7D", FORM_MEDIA_TYPE, "the body is not a UTF-8 form"),
    (b"state=%ED%A0%80&vp_token=%7B%7D", FORM_MEDIA_TYPE, "the body is not a UTF-8 form"),
    (f"state={STATE}&vp_token".encode(), FORM_MEDIA_TYPE, "the body is not a UTF-8 form"),
    (f"state={STATE}&&vp_token=%7B%7D".encode(), FORM_MEDIA_TYPE, "the body is not a UTF-8 form"),
]


@pytest.mark.parametrize(("body", "content_type", "said"), REFUSED)
def test_a_malformed_form_is_refused_with_its_words(
    body: bytes, content_type: str | None, said: str
) -> None:
    with pytest.raises(Error) as raised:
        check_form_type(content_type)
        parse_form(body)
    assert OID4VP_RESPONSE_MALFORMED.matches(raised.value)
    assert raised.value.message == said


@pytest.mark.parametrize(
    "content_type",
    [FORM_MEDIA_TYPE, f"{FORM_MEDIA_TYPE}; charset=utf-8", f" {FORM_MEDIA_TYPE} ;charset=UTF-8"],
)
def test_a_form_is_read_to_its_last_field(content_type: str) -> None:
    check_form_type(content_type)
    form = parse_form(AT_THE_BOUND)
    assert len(form) == MAX_FORM_FIELDS
    assert form["state"] == STATE and form["vp_token"] == VP_TOKEN and form["x0"] == ""
    assert parse_form(b"state=caf%C3%A9&vp_token=a+b") == {"state": "café", "vp_token": "a b"}
    assert parse_form(b"") == {}


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_form_is_read_to_its_size_limit_and_no_further() -> None:
    at_the_limit = b"x=" + b"a" * (MAX_FORM_BYTES - 2)
    form = asyncio.run(read_form(FORM_MEDIA_TYPE, chunks(at_the_limit)))
    assert len(form["x"]) == MAX_FORM_BYTES - 2
    with pytest.raises(Error) as raised:
        asyncio.run(read_form(FORM_MEDIA_TYPE, chunks(at_the_limit + b"a")))
    assert OID4VP_RESPONSE_TOO_LARGE.matches(raised.value)
    assert raised.value.message == f"the response is over {MAX_FORM_BYTES} bytes"
    with pytest.raises(Error) as raised:  # the type is checked before anything is read
        asyncio.run(read_form("text/plain", chunks(at_the_limit + b"a")))
    assert OID4VP_RESPONSE_MALFORMED.matches(raised.value)
