"""A scriptable OpenID4VP desk for the wallet's attack tests: it asks, checks and answers
with a signed receipt, unless told to misbehave (sign with a key that is not its DID's, ask
for claims it is not accredited for, forge or withhold the receipt)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from civicid import sdjwt
from civicid.dcql import ClaimsQuery, CredentialQuery, DcqlQuery, claim_path
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.oid4vp import (
    AuthorizationRequest,
    AuthorizationResponse,
    build_link,
    build_receipt,
    build_request_object,
    client_id_for,
    new_nonce,
    receipt_for,
    received_from,
)
from tests.wallet.world import NATIONAL_ID, LedgerWorld


@dataclass
class DeskBehaviour:
    required: list[str] = field(default_factory=lambda: ["given_name", "resident"])
    optional: list[str] = field(default_factory=list)
    vct: str = NATIONAL_ID
    sign_with: Identity | None = None  # the request object signed by this identity's key
    receipt_signer: Identity | None = None  # the receipt signed by this identity's key
    no_receipt: bool = False
    answer: dict[str, Any] | None = None  # the direct_post answer, instead of its own
    told_decision: str | None = None  # the decision its answer tells beside the receipt
    failed_step: str | None = None  # a receipt that says not eligible, naming this step
    purpose: str = "Confirm who you are before opening a file"  # signed in the request
    received: list[dict[str, Any]] = field(default_factory=list)  # what arrived, verified
    declined: list[tuple[str, str]] = field(default_factory=list)  # (state, error) answers


class RogueDesk:
    def __init__(self, world: LedgerWorld, behaviour: DeskBehaviour | None = None) -> None:
        self.world = world
        self.behaviour = behaviour or DeskBehaviour()
        self.url = ""
        self.requests: dict[str, AuthorizationRequest] = {}
        self.objects: dict[str, str] = {}
        self.ledger = LedgerClient(world.url, world.vkey)

    @property
    def client_id(self) -> str:
        return client_id_for(self.world.desk.did)

    def query(self) -> DcqlQuery:
        names = self.behaviour.required + self.behaviour.optional
        claims = tuple(ClaimsQuery(claim_path(n), id=f"c{i}") for i, n in enumerate(names))
        sets = None
        if self.behaviour.optional:
            sets = (
                tuple(c.id or "" for c in claims),
                tuple(f"c{i}" for i in range(len(self.behaviour.required))),
            )
        return DcqlQuery(
            (
                CredentialQuery(
                    id="id_card",
                    format="dc+sd-jwt",
                    meta={"vct_values": [self.behaviour.vct]},
                    claims=claims,
                    claim_sets=sets,
                ),
            )
        )

    def link(self) -> str:
        now = int(time.time())
        request = AuthorizationRequest(
            client_id=self.client_id,
            response_uri=f"{self.url}/response",
            nonce=new_nonce(),
            state=new_nonce(),
            dcql_query=self.query(),
            iat=now,
            exp=now + 300,
            policy="identity-check",
            purpose=self.behaviour.purpose,
        )
        signer = self.behaviour.sign_with
        if signer is None:
            token = build_request_object(request, self.world.desk.key, self.world.desk.kid)
        else:  # the desk's kid, another key: the signature cannot verify
            token = signer.key.sign_compact(
                json.dumps(request.to_json()).encode(),
                {"typ": "oauth-authz-req+jwt", "kid": self.world.desk.kid},
            )
        request_id = secrets.token_urlsafe(8)
        self.requests[request.state] = request
        self.objects[request_id] = token
        return build_link(self.client_id, f"{self.url}/requests/{request_id}")

    def app(self) -> FastAPI:
        app = FastAPI()
        behaviour = self.behaviour

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/requests/{request_id}")
        def request_object(request_id: str) -> Response:
            return Response(
                self.objects.pop(request_id), media_type="application/oauth-authz-req+jwt"
            )

        @app.post("/response")
        async def response(raw: Request) -> Response:
            form = dict(await raw.form())
            answer = AuthorizationResponse.from_form({k: str(v) for k, v in form.items()})
            request = self.requests.pop(answer.state)
            if answer.error is not None:  # OpenID4VP §8.5: the wallet sends nothing
                behaviour.declined.append((answer.state, answer.error))
                return JSONResponse({"decision": "not_eligible", "receipt": ""})
            assert answer.vp_token is not None
            now = int(time.time())
            received = []
            for presentation in answer.vp_token["id_card"]:
                verified = sdjwt.verify(
                    presentation,
                    issuer_key=lambda h, p: self.ledger.key_in_force(h["kid"], p["iat"]),
                    now=now,
                    nonce=request.nonce,
                    aud=request.client_id,
                )
                behaviour.received.append(verified.payload)
                received.append(
                    received_from(
                        verified.payload["vct"], verified.payload["iss"], verified.disclosed
                    )
                )
            if behaviour.answer is not None:
                return JSONResponse(behaviour.answer)
            if behaviour.no_receipt:
                return JSONResponse({"decision": "eligible"})
            refused = behaviour.failed_step
            receipt = receipt_for(
                request, tuple(received), eligible=refused is None, now=now, failed_step=refused
            )
            signer = behaviour.receipt_signer or self.world.desk
            if behaviour.receipt_signer is None:
                token = build_receipt(receipt, signer.key, self.world.desk.kid)
            else:
                token = signer.key.sign_compact(
                    json.dumps(receipt.to_json()).encode(),
                    {"typ": "civicid-receipt+jwt", "kid": self.world.desk.kid},
                )
            told = behaviour.told_decision or receipt.decision
            return JSONResponse({"decision": told, "receipt": token})

        return app
