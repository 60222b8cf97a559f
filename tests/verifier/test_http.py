"""The desk over real HTTP on loopback (ledger and desk both served by uvicorn): a wallet's
whole OpenID4VP exchange, the desk page's JSON API, and every refusal as a JSON error body."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

from civicid.oid4vp import parse_link, verify_receipt
from tests.verifier.loopback import Desk, wallet_answer
from tests.verifier.world import World
from verifier.routes.oid4vp import MAX_FORM_FIELDS


def test_a_wallet_over_http(world: World, desk: Desk) -> None:
    created = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"})
    assert created.status_code == 201
    data = created.json()
    assert data["link"].startswith("openid4vp://?client_id=decentralized_identifier")
    status = httpx.get(desk.url + data["status_url"]).json()
    assert status["status"] == "waiting" and status["decision"] is None
    qr = httpx.get(desk.url + data["qr"])
    assert qr.headers["content-type"] == "image/svg+xml" and "<svg" in qr.text
    answer, (request, ledger, now) = wallet_answer(world, desk, data["link"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "eligible"
    receipt = verify_receipt(
        body["receipt"],
        lambda kid: ledger.key_in_force(kid, now, "assertionMethod"),
        nonce=request.nonce,
        client_id=request.client_id,
    )
    assert receipt.claim_names == ("age_equal_or_over.18", "resident")
    assert receipt.policy == "housing-benefit" and receipt.decision == "eligible"
    decided = httpx.get(desk.url + data["status_url"]).json()
    assert decided["status"] == "decided" and decided["decision"]["eligible"] is True
    # The request object was served once; the answer is accepted once.
    again = httpx.get(request.response_uri.replace("/response", "/requests/") + data["id"])
    assert again.status_code == 410 and again.json()["error"] == "request_already_fetched"
    replay = httpx.post(
        request.response_uri, data={"state": request.state, "vp_token": '{"credential": ["x~"]}'}
    )
    assert replay.status_code == 409 and replay.json()["error"] == "request_already_answered"


def test_refusals_over_http(world: World, desk: Desk) -> None:
    response_uri = desk.url + "/oid4vp/response"
    cases = [
        (httpx.post(f"{desk.url}/requests", json={"policy": "nope"}), 404, "policy_unknown"),
        (httpx.post(f"{desk.url}/requests", json={"policy": ""}), 400, "request_invalid"),
        (httpx.get(f"{desk.url}/oid4vp/requests/unknown"), 404, "request_unknown"),
        (httpx.get(f"{desk.url}/transactions/unknown"), 404, "request_unknown"),
        (httpx.get(f"{desk.url}/nowhere"), 404, "route_not_found"),
        (
            httpx.post(response_uri, data={"state": "s" * 32, "vp_token": '{"credential":["x"]}'}),
            404,
            "request_unknown",
        ),
        (httpx.post(response_uri, json={"state": "s" * 32}), 400, "oid4vp_response_malformed"),
        (
            httpx.post(
                response_uri,
                content=b"state=" + b"s" * 32 + b"&state=" + b"t" * 32,
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400,
            "oid4vp_response_malformed",
        ),
        (
            httpx.post(
                response_uri,
                content=b"vp_token=" + b"A" * (4 * 1024 * 1024),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            413,
            "oid4vp_response_too_large",
        ),
        (
            httpx.post(
                response_uri,
                data={
                    "state": "s" * 32,
                    "vp_token": '{"credential":["x"]}',
                    **{f"x{i}": "" for i in range(MAX_FORM_FIELDS - 1)},
                },
            ),
            400,
            "oid4vp_response_malformed",
        ),
        (  # at the bound, the form is read
            httpx.post(
                response_uri,
                data={
                    "state": "s" * 32,
                    "vp_token": '{"credential":["x"]}',
                    **{f"x{i}": "" for i in range(MAX_FORM_FIELDS - 2)},
                },
            ),
            404,
            "request_unknown",
        ),
    ]
    for answer, status, code in cases:
        assert (answer.status_code, answer.json()["error"]) == (status, code), answer.text
        assert "error_description" in answer.json()


def test_an_expired_request_over_http(world: World, desk: Desk) -> None:
    data = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    desk.clock.now += 10_000
    request_id = urlsplit(parse_link(data["link"]).request_uri).path.rsplit("/", 1)[-1]
    answer = httpx.get(f"{desk.url}/oid4vp/requests/{request_id}")
    assert answer.status_code == 410 and answer.json()["error"] == "request_expired"
    assert httpx.get(desk.url + data["status_url"]).json()["status"] == "expired"


def test_not_eligible_still_gets_a_receipt(world: World, desk: Desk) -> None:
    data = httpx.post(f"{desk.url}/requests", json={"policy": "housing-benefit"}).json()
    answer, (request, ledger, now) = wallet_answer(
        world, desk, data["link"], vp_token=json.dumps({"other": ["x~"]})
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["decision"] == "not_eligible"
    receipt = verify_receipt(
        body["receipt"], lambda kid: ledger.key_in_force(kid, now), nonce=request.nonce
    )
    assert receipt.failed_step == "dcql_response_invalid" and receipt.received == ()


def test_the_desk_page_is_served_with_its_own_assets(desk: Desk) -> None:
    page = httpx.get(desk.url + "/")
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    html = page.text
    assert "Housing benefit" in html and 'href="/static/desk.css"' in html
    assert "http://" not in html.replace(desk.url, "") and "https://" not in html
    for asset, kind in (("/static/desk.css", "text/css"), ("/static/desk.js", "javascript")):
        answer = httpx.get(desk.url + asset)
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
        assert "https://" not in answer.text and "http://" not in answer.text
