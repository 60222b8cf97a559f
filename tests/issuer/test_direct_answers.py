"""The wallet's calls answered straight from the scope (``issuer/routes/direct.py``) answer
byte for byte as the framework's routes: the same status, body and every header, for good
requests and for every refusal (each declared code, raised where the issuance raises it).

Each request is sent, as the same ASGI scope, to the app and to the same app without its fast
dispatch (the framework's routes). A good request's work is done once and given to both, so
that its random parts (tokens, salts, signatures) are the same in the two answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI

from civicid.errors import Error
from civicid.jose import PrivateKey
from civicid.oid4vci import PRE_AUTHORIZED_GRANT, build_proof_jwt
from issuer.app import IssuerApp, create_app
from issuer.routes import direct
from issuer.routes.deps import MAX_BODY_BYTES
from issuer.routes.oid4vci import token_request
from tests.issuer.conftest import CONFIG, Env, sample_claims

FORM = (b"content-type", b"application/x-www-form-urlencoded")
JSON = (b"content-type", b"application/json")
# What an answer is here: its status, its headers as sent, its body, and the exception the
# app raised after answering (a bug is raised on, for the server to log).
Sent = tuple[int, list[tuple[bytes, bytes]], bytes, type[BaseException] | None]


# Made once per test's issuer (the env is kept with them, so an id reused is not mistaken).
APPS: dict[int, tuple[Env, FastAPI, FastAPI]] = {}


def apps(env: Env) -> tuple[FastAPI, FastAPI]:
    """The app, and the same app without its fast dispatch (the framework's routes)."""
    fast = create_app(issuer=env.issuer, background=False)
    routed = create_app(issuer=env.issuer, background=False)
    routed.__class__ = FastAPI
    for app in (fast, routed):
        app.state.issuer = env.issuer  # as its lifespan sets it
    assert type(fast) is IssuerApp
    return fast, routed


def sent(
    app: FastAPI,
    method: str,
    path: str,
    body: bytes = b"",
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> Sent:
    """``app``'s answer to one request, sent as the server sends it to the app."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    async def run() -> type[BaseException] | None:
        try:
            await app(scope, receive, send)
        except Exception as exc:
            return type(exc)
        return None

    raised = asyncio.run(run())
    start, *rest = messages
    assert start["type"] == "http.response.start"
    return start["status"], start["headers"], b"".join(m["body"] for m in rest), raised


def both(env: Env, method: str, path: str, body: bytes = b"", *headers: Any) -> Sent:
    """The answer, the same from the fast dispatch and the framework's route."""
    made = APPS.get(id(env))
    if made is None or made[0] is not env:
        made = APPS[id(env)] = (env, *apps(env))
    _, fast, routed = made
    answer = sent(fast, method, path, body, headers)
    assert answer == sent(routed, method, path, body, headers)
    return answer


def done_once(monkeypatch: pytest.MonkeyPatch, env: Env, name: str) -> None:
    """The issuer's step ``name`` runs once; asked again, it gives what it gave then."""
    real = getattr(env.issuer, name)
    given: list[Any] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        if not given:
            try:
                given.append(real(*args, **kwargs))
            except Exception as exc:  # a refusal that changes what it refuses (a try counted)
                given.append(exc)
        if isinstance(given[0], Exception):
            raise given[0]
        return given[0]

    monkeypatch.setattr(env.issuer, name, once)


def offer(env: Env) -> tuple[str, str]:
    """A fresh offer's pre-authorized code and transaction code."""
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-1", claims=sample_claims()
    )
    grant = created.credential_offer.pre_authorized
    assert grant is not None and created.tx_code is not None
    return grant.pre_authorized_code, created.tx_code


def token_form(code: str, tx_code: str | None) -> bytes:
    fields = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    if tx_code is not None:
        fields["tx_code"] = tx_code
    return "&".join(f"{k}={v}" for k, v in fields.items()).encode()


def access_token(env: Env) -> str:
    answer = env.issuer.token(
        token_request(token_form(*offer(env)))  # parsed as the endpoint parses it
    )
    return answer.access_token


def credential_body(env: Env, copies: int = 2, **proof: Any) -> bytes:
    nonce = env.issuer.nonce().c_nonce
    keys = [PrivateKey.generate() for _ in range(copies)]
    claims = {"aud": env.settings.public_url, "nonce": nonce, "iat": env.clock(), **proof}
    proofs = [build_proof_jwt(k, **claims) for k in keys]
    return json.dumps({"credential_configuration_id": CONFIG, "proofs": {"jwt": proofs}}).encode()


def header(answer: Sent, name: bytes) -> bytes | None:
    return next((v for k, v in answer[1] if k == name), None)


def refusal(answer: Sent) -> str:
    body: dict[str, str] = json.loads(answer[2])
    return body.get("civicid_error") or body["error"]


# -- good requests --------------------------------------------------------------------------


def test_a_token_is_answered_as_the_route_answers_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    done_once(monkeypatch, env, "token_begin")
    answer = both(env, "POST", "/token", token_form(*offer(env)), FORM)
    assert answer[0] == 200 and answer[3] is None
    assert [k for k, _ in answer[1]] == [b"cache-control", b"pragma", b"content-length", JSON[0]]
    assert json.loads(answer[2])["token_type"] == "Bearer"


def test_a_nonce_is_answered_as_the_route_answers_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    done_once(monkeypatch, env, "nonce")
    answer = both(env, "POST", "/nonce")
    assert answer[0] == 200
    assert header(answer, b"cache-control") == b"no-store"
    assert json.loads(answer[2])["c_nonce"]


def test_a_credential_is_answered_as_the_route_answers_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = access_token(env)
    body = credential_body(env, copies=3)
    done_once(monkeypatch, env, "credential_request_begin")
    authorization = (b"authorization", f"Bearer {token}".encode())
    answer = both(env, "POST", "/credential", body, JSON, authorization)
    assert answer[0] == 200
    assert len(json.loads(answer[2])["credentials"]) == 3
    assert header(answer, b"content-length") == str(len(answer[2])).encode()


def test_an_offer_by_reference_is_answered_as_the_route_answers_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-2", claims=sample_claims()
    )
    done_once(monkeypatch, env, "fetch_offer_begin")
    answer = both(env, "GET", f"/offers/{created.offer.id}")
    assert answer[0] == 200
    assert json.loads(answer[2])["credential_configuration_ids"] == [CONFIG]


# -- refusals, as the issuance makes them ---------------------------------------------------


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (b"grant_type=password", "oid4vci_token_request_invalid"),
        (b"\xff\xfe", "oid4vci_token_request_invalid"),
        (b"a=1&a=2", "oid4vci_token_request_invalid"),
        (token_form("no-such-code", "123456"), "grant_code_unknown"),
        (b"", "oid4vci_token_request_invalid"),
    ],
)
def test_a_refused_token_request_is_answered_as_the_route_answers_it(
    env: Env, form: bytes, code: str
) -> None:
    answer = both(env, "POST", "/token", form, FORM)
    assert answer[0] == 400
    assert refusal(answer) == code


@pytest.mark.parametrize("tries", [1, 5])
def test_a_wrong_or_missing_transaction_code_is_answered_as_the_route_answers_it(
    env: Env, monkeypatch: pytest.MonkeyPatch, tries: int
) -> None:
    code, tx_code = offer(env)
    wrong = "0" * len(tx_code) if tx_code != "0" * len(tx_code) else "1" * len(tx_code)
    assert refusal(both(env, "POST", "/token", token_form(code, None), FORM)) == "tx_code_missing"
    for _ in range(tries - 1):  # a wrong try is counted: the last one locks the offer
        with pytest.raises(Error):
            env.issuer.token(token_request(token_form(code, wrong)))
    done_once(monkeypatch, env, "token_begin")  # counted once, told alike
    answer = both(env, "POST", "/token", token_form(code, wrong), FORM)
    assert refusal(answer) == ("tx_code_wrong" if tries == 1 else "offer_locked")


def test_a_body_over_the_limit_is_answered_as_the_route_answers_it(env: Env) -> None:
    declared = (b"content-length", str(MAX_BODY_BYTES + 1).encode())
    for path in ("/token", "/credential"):
        headers = (FORM, declared, (b"authorization", b"Bearer x"))
        answer = both(env, "POST", path, b"", *headers)
        assert answer[0] == 413 and refusal(answer) == "issuer_body_too_large"
        # Sent without a length, it is counted as it comes.
        answer = both(env, "POST", path, b"x" * (MAX_BODY_BYTES + 1), *headers[::2])
        assert answer[0] == 413 and refusal(answer) == "issuer_body_too_large"


@pytest.mark.parametrize(
    ("authorization", "body", "status", "code"),
    [
        (None, b"{}", 401, "access_token_invalid"),
        (b"Basic abc", b"{}", 401, "access_token_invalid"),
        (b"Bearer unknown", b"{}", 400, "oid4vci_credential_request_invalid"),
        (b"Bearer unknown", b"[1]", 400, "oid4vci_credential_request_invalid"),
        (b"Bearer unknown", b"not json", 400, "oid4vci_credential_request_invalid"),
        (
            b"Bearer unknown",
            json.dumps({"credential_configuration_id": CONFIG, "proofs": {"jwt": ["x"]}}).encode(),
            401,
            "access_token_invalid",
        ),
    ],
)
def test_a_refused_credential_request_is_answered_as_the_route_answers_it(
    env: Env, authorization: bytes | None, body: bytes, status: int, code: str
) -> None:
    headers = [JSON] + ([(b"authorization", authorization)] if authorization else [])
    answer = both(env, "POST", "/credential", body, *headers)
    assert answer[0] == status and refusal(answer) == code
    if status == 401:
        assert header(answer, b"www-authenticate") is not None


@pytest.mark.parametrize(
    ("proof", "code"),
    [
        ({"aud": "https://elsewhere.example"}, "proof_aud_mismatch"),
        ({"nonce": "not-the-nonce"}, "proof_nonce_mismatch"),
        ({"iat": 1}, "proof_iat_stale"),
    ],
)
def test_a_refused_proof_is_answered_as_the_route_answers_it(
    env: Env, proof: dict[str, Any], code: str
) -> None:
    token = (b"authorization", f"Bearer {access_token(env)}".encode())
    answer = both(env, "POST", "/credential", credential_body(env, **proof), JSON, token)
    assert answer[0] == 400 and refusal(answer) == code
    assert json.loads(answer[2])["error"] in {"invalid_proof", "invalid_nonce"}


def test_an_offer_fetched_twice_or_unknown_is_answered_as_the_route_answers_it(
    env: Env,
) -> None:
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="REG-3", claims=sample_claims()
    )
    env.issuer.fetch_offer(created.offer.id)  # served once
    assert refusal(both(env, "GET", f"/offers/{created.offer.id}")) == "offer_already_fetched"
    assert refusal(both(env, "GET", "/offers/no-such-offer")) == "offer_not_found"


def test_paths_the_routes_do_not_have_are_the_frameworks(env: Env) -> None:
    for method, path in [
        ("GET", "/offers/"),
        ("GET", "/offers/a/b"),
        ("GET", "/token"),
        ("PUT", "/credential"),
        ("POST", "/offers/x"),
    ]:
        assert direct.direct_route(method, path) is None
        assert both(env, method, path)[0] in {404, 405}


@pytest.mark.parametrize("copies", [0, 1, 4])
def test_the_credentials_answer_is_the_encoders_text(copies: int) -> None:
    """Written without the encoder's scan (an SD-JWT's characters need no escaping): the same
    text as the routes' encoder gives for the same credentials."""
    key = PrivateKey.generate()
    credentials = [
        key.sign_compact(b'{"n":%d}' % n, {"typ": "dc+sd-jwt"}) + "~WyJzYWx0IiwibiIsMV0~"
        for n in range(copies)
    ]
    body = {"credentials": [{"credential": c} for c in credentials]}
    assert direct.credentials_json(list(credentials)) == direct._ENCODE(body)
    # A credential that is a JSON object (another format) is the encoder's to write.
    other: list[str | dict[str, Any]] = [*credentials, {"vc": 'a "quoted" value'}]
    mixed = {"credentials": [{"credential": c} for c in other]}
    assert direct.credentials_json(other) == direct._ENCODE(mixed)
