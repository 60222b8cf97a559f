"""The rule desk's direct_post (``/rules/responses``) is parsed as the desk's: each malformed
form of ``tests.civicid.test_oid4vp_form.REFUSED`` is answered 400
``oid4vp_response_malformed`` with the desk's words (before, a form of another type, of any
number of fields, or with a field without ``=`` was parsed all the same); a form at the field
bound is read (and its state is then unknown)."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from civicid.oid4vp_form import FORM_MEDIA_TYPE, MAX_FORM_BYTES
from cli.harness import free_port, serving
from issuer.app import create_app
from issuer.by_rule import RESPONSE_PATH
from tests.civicid.test_oid4vp_form import AT_THE_BOUND, REFUSED
from tests.issuer.conftest import Env
from tests.issuer.test_issuance_by_rule import env as env  # the issuer, its rule published
from tests.issuer.test_issuance_by_rule import pass_type as pass_type  # env's fixture


def test_each_malformed_form_is_refused_as_the_desk_refuses_it(env: Env) -> None:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        for body, content_type, said in REFUSED:
            headers = {} if content_type is None else {"content-type": content_type}
            refused = httpx.post(url + RESPONSE_PATH, content=body, headers=headers, timeout=30)
            assert refused.status_code == 400, (body, refused.text)
            assert refused.json()["error"] == "oid4vp_response_malformed"
            assert refused.json()["error_description"] == said
        read = httpx.post(
            url + RESPONSE_PATH,
            content=AT_THE_BOUND,
            headers={"content-type": FORM_MEDIA_TYPE},
            timeout=30,
        )
    assert read.status_code == 404 and read.json()["error"] == "rule_request_unknown", read.text


def test_an_oversize_answer_is_refused_with_the_desks_code_and_limit(env: Env) -> None:
    """Over ``MAX_FORM_BYTES`` (the desk's limit): 413 ``oid4vp_response_too_large``, as the
    desk answers it (before: 256 KiB, ``issuer_body_too_large``); under it, the form is read."""
    app = create_app(issuer=env.issuer, background=False)
    over = b"state=" + b"s" * 32 + b"&vp_token=" + b"a" * (MAX_FORM_BYTES - 48 + 1)
    assert len(over) == MAX_FORM_BYTES + 1
    with TestClient(app) as client:
        refused = client.post(
            RESPONSE_PATH, content=over, headers={"content-type": FORM_MEDIA_TYPE}
        )
        assert refused.status_code == 413, refused.text
        assert refused.json()["error"] == "oid4vp_response_too_large"
        assert str(MAX_FORM_BYTES) in refused.json()["error_description"]
        # Past the issuer's 256 KiB for its other bodies, within the desk's: read, and its
        # state is unknown.
        form = {"state": "s" * 32, "vp_token": '{"x": ["' + "a" * 300_000 + '"]}'}
        read = client.post(RESPONSE_PATH, data=form)
    assert read.status_code == 404 and read.json()["error"] == "rule_request_unknown", read.text
