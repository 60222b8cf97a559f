"""A desk and its ledger served on loopback by uvicorn, and a wallet that answers them over
real HTTP: for the HTTP and browser tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from civicid import sdjwt
from civicid.dcql import ClaimPath, Held, match
from civicid.http import HttpClient
from civicid.ledger_client import LedgerClient
from civicid.oid4vp import parse_link, verify_request_object
from cli.harness import serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.verifier.world import Clock, World, settings_for
from verifier.app import create_app
from verifier.service import Verifier, checkpoint_key


@dataclass
class Desk:
    url: str
    ledger_url: str
    verifier: Verifier
    clock: Clock


@contextmanager
def serve_desk(world: World, desk_clock: Clock, **extra: Any) -> Iterator[Desk]:
    """The world's ledger and a desk on it (with settings ``extra``), both on loopback; the
    desk's clock is fixed."""
    with serving(ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger), 0) as ledger:
        settings = settings_for(world.root, url=ledger, **extra)
        verifier = Verifier.open(settings, clock=desk_clock)
        with serving(create_app(settings, verifier=verifier), 0) as url:
            verifier.base_url = url
            yield Desk(url, ledger, verifier, desk_clock)
        verifier.close()


def wallet_answer(
    world: World,
    desk: Desk,
    link: str,
    credential: str | None = None,
    also: tuple[ClaimPath, ...] = (),
    **changes: Any,
) -> tuple[httpx.Response, Any]:
    """What a wallet does: fetch and verify the request object (the desk's key from the
    ledger), match the DCQL query, present with key binding (disclosing ``also`` besides, as
    a careless wallet would), post the answer."""
    ledger = LedgerClient(desk.ledger_url, checkpoint_key(settings_for(world.root)))
    now = desk.clock.now
    parsed = parse_link(link)
    with HttpClient() as http:
        token = http.get(parsed.request_uri)
        token.raise_for_error()
        assert token.content_type == "application/oauth-authz-req+jwt"
        request = verify_request_object(
            token.text, lambda kid: ledger.key_in_force(kid, now, "authentication"), now=now
        )
        credential = credential or world.credential(iat=world.clock.now)
        decoded = sdjwt.decode_unverified(credential)
        held = Held("card", "dc+sd-jwt", decoded.claims.get("vct"), decoded.claims)
        found = match(request.dcql_query, [held]).require()
        (candidate,) = found.candidates["credential"]
        presentation = world.present(
            credential,
            nonce=request.nonce,
            aud=request.client_id,
            disclose=[*candidate.disclose, *also],
        )
        form = {"state": request.state, "vp_token": json.dumps({"credential": [presentation]})}
        form.update(changes)
        answer = httpx.post(request.response_uri, data=form, timeout=10)
    return answer, (request, ledger, now)
