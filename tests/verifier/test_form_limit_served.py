"""The direct_post form's own limit (3 MiB, ``oid4vp_response_too_large``) is what a served
desk answers: the shell's cap on bodies was 2 MiB, so a form between the two was refused
by the shell (``request_body_too_large``) and the route's limit was reached in-process only,
while a 1 MiB ``vp_token``, percent-encoded, could not arrive."""

from __future__ import annotations

import httpx

from civicid.oid4vp_form import MAX_FORM_BYTES
from civicid.shell.server import MAX_BODY_BYTES
from tests.verifier.loopback import Desk
from verifier.service import RESPONSE_PATH

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_the_shell_leaves_room_for_the_form() -> None:
    assert MAX_BODY_BYTES > MAX_FORM_BYTES


def test_a_form_over_its_limit_is_the_forms_refusal(desk: Desk) -> None:
    body = b"state=" + b"a" * (MAX_FORM_BYTES + 10)
    answer = httpx.post(desk.url + RESPONSE_PATH, content=body, headers=FORM, timeout=60)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "oid4vp_response_too_large"


def test_a_form_under_its_limit_is_read(desk: Desk) -> None:
    body = b"state=unknown&vp_token=" + b"a" * (MAX_FORM_BYTES - 100)
    answer = httpx.post(desk.url + RESPONSE_PATH, content=body, headers=FORM, timeout=60)
    assert answer.json()["error"] != "request_body_too_large", answer.text
