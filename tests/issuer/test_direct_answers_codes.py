"""Every declared code, raised at each step a wallet's call runs, is answered by the direct
dispatch byte for byte as the framework's route answers it (``test_direct_answers.py`` holds
the good requests and the refusals as the issuance makes them); a bug too, and it is raised
on after its answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from civicid.errors import CATALOGUE, Code
from tests.issuer.conftest import CONFIG, Env
from tests.issuer.test_direct_answers import FORM, JSON, both, refusal, token_form

CODES = sorted(CATALOGUE.values(), key=lambda code: code.name)
STEPS: dict[str, tuple[str, str, bytes, tuple[tuple[bytes, bytes], ...]]] = {
    "token_begin": ("POST", "/token", token_form("code", "123456"), (FORM,)),
    "credential_request_begin": (
        "POST",
        "/credential",
        json.dumps({"credential_configuration_id": CONFIG, "proofs": {"jwt": ["x"]}}).encode(),
        (JSON, (b"authorization", b"Bearer token")),
    ),
    "fetch_offer_begin": ("GET", "/offers/some-offer", b"", ()),
    "nonce": ("POST", "/nonce", b"", ()),
}


def raising(code: Code) -> Callable[..., Any]:
    def step(*_: Any, **__: Any) -> Any:
        raise code("refused here")

    return step


@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_code_is_answered_as_the_route_answers_it(
    env: Env, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    method, path, body, headers = STEPS[step]
    assert len(CODES) > 100  # the issuer's, the kernel's and the ledger's codes are declared
    for code in CODES:
        monkeypatch.setattr(env.issuer, step, raising(code))
        answer = both(env, method, path, body, *headers)
        assert answer[0] == code.http_status, code.name
        assert refusal(answer) == code.name
        assert answer[3] is None


def test_a_bug_is_answered_as_the_route_answers_it_and_raised_on(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    for step, (method, path, body, headers) in STEPS.items():
        monkeypatch.setattr(env.issuer, step, lambda *_, **__: 1 / 0)
        answer = both(env, method, path, body, *headers)
        assert answer[0] == 500 and refusal(answer) == "internal_error", step
        assert answer[3] is ZeroDivisionError
