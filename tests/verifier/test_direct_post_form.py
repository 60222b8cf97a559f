"""The desk's direct_post form over real HTTP: each malformed form of
``tests.civicid.test_oid4vp_form.REFUSED`` is answered 400 ``oid4vp_response_malformed``
with its words; a form at the field bound is read (and its state is then unknown)."""

from __future__ import annotations

import httpx

from civicid.oid4vp_form import FORM_MEDIA_TYPE
from tests.civicid.test_oid4vp_form import AT_THE_BOUND, REFUSED
from tests.verifier.loopback import Desk


def test_each_malformed_form_is_refused_with_its_words(desk: Desk) -> None:
    url = desk.url + "/oid4vp/response"
    for body, content_type, said in REFUSED:
        headers = {} if content_type is None else {"content-type": content_type}
        refused = httpx.post(url, content=body, headers=headers, timeout=30)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"] == "oid4vp_response_malformed"
        assert refused.json()["error_description"] == said
    read = httpx.post(
        url, content=AT_THE_BOUND, headers={"content-type": FORM_MEDIA_TYPE}, timeout=30
    )
    assert (read.status_code, read.json()["error"]) == (404, "request_unknown"), read.text
