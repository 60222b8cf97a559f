"""A scriptable OpenID4VCI issuer for the wallet's attack tests: it issues correctly unless
told to misbehave (sign with another key, bind to a key the wallet never offered, claim
another DID, answer garbage or not at all mid-issuance). The real issuer never does these
things, so they are tested here."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, Response

from civicid import sdjwt
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    CredentialRequest,
    offer_link_by_reference,
    verify_proof_jwt,
)
from tests.wallet.world import CLAIMS, DISCLOSABLE, NATIONAL_ID, STATUS_URI, LedgerWorld

TX_CODE = "493536"
CONFIG_ID = "national_id"


@dataclass
class Behaviour:
    """What the issuer does wrong, if anything."""

    sign_with: Identity | None = None  # issuer JWT signed by this identity instead
    bind_to_stranger: bool = False  # cnf names a key the wallet never sent
    claimed_did: str | None = None  # the DID /.well-known/jwt-vc-issuer names
    garbage_credential: bool = False  # the credential endpoint answers junk
    hang_credential: bool = False  # the credential endpoint never answers
    vct: str = NATIONAL_ID
    name: str = "Civil Registry (test)"  # the display name its metadata gives
    claims: dict[str, Any] = field(default_factory=lambda: dict(CLAIMS))  # what it signs
    token_error: dict[str, Any] | None = None  # the token endpoint answers this (400)
    batch_size: int = 3
    # Metadata members pointed elsewhere (a phishing offer's accomplice): any of
    # authorization_servers (a list), credential_endpoint, nonce_endpoint, token_endpoint.
    metadata: dict[str, Any] = field(default_factory=dict)
    tokens_spent: list[str] = field(default_factory=list)


class RogueIssuer:
    def __init__(self, world: LedgerWorld, behaviour: Behaviour | None = None) -> None:
        self.world = world
        self.behaviour = behaviour or Behaviour()
        self.url = ""
        self.codes: dict[str, str] = {}  # pre-authorized code -> tx code
        self.tokens: set[str] = set()
        self.nonces: set[str] = set()
        self.offers: dict[str, dict[str, Any]] = {}
        self.fetched: list[str] = []  # offers by reference served (each once)
        self.issued_indices: list[int] = []
        self.hits = 0  # requests served: a status refresh must add none
        self.requests: list[str] = []  # "METHOD /path" of each
        self.released = threading.Event()  # set at teardown: a hung handler lets go

    def offer(
        self,
        *,
        by_reference: bool = False,
        tx_code: bool = True,
        authorization_server: str | None = None,
    ) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = TX_CODE if tx_code else ""
        grant: dict[str, Any] = {"pre-authorized_code": code}
        if authorization_server is not None:
            grant["authorization_server"] = authorization_server
        if tx_code:
            grant["tx_code"] = {"input_mode": "numeric", "length": 6, "description": "Sent by SMS"}
        offer = CredentialOffer.from_json(
            {
                "credential_issuer": self.url,
                "credential_configuration_ids": [CONFIG_ID],
                "grants": {PRE_AUTHORIZED_GRANT: grant},
            }
        )
        if not by_reference:
            return offer.to_link()
        offer_id = secrets.token_urlsafe(8)
        self.offers[offer_id] = offer.to_json()
        return offer_link_by_reference(f"{self.url}/offers/{offer_id}")

    def app(self) -> FastAPI:
        app = FastAPI()
        world, behaviour = self.world, self.behaviour

        @app.middleware("http")
        async def count(request: Request, call_next: Any) -> Response:
            self.hits += 1
            self.requests.append(f"{request.method} {request.url.path}")
            response: Response = await call_next(request)
            return response

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/.well-known/openid-credential-issuer")
        def metadata() -> dict[str, Any]:
            return {
                "credential_issuer": self.url,
                "credential_endpoint": f"{self.url}/credential",
                "nonce_endpoint": f"{self.url}/nonce",
                "batch_credential_issuance": {"batch_size": behaviour.batch_size},
                "display": [{"name": behaviour.name, "locale": "en-GB"}],
                "credential_configurations_supported": {
                    CONFIG_ID: {
                        "format": "dc+sd-jwt",
                        "vct": behaviour.vct,
                        "cryptographic_binding_methods_supported": ["jwk"],
                        "proof_types_supported": {
                            "jwt": {"proof_signing_alg_values_supported": ["ES256"]}
                        },
                    }
                },
                **{k: v for k, v in behaviour.metadata.items() if k != "token_endpoint"},
            }

        @app.get("/.well-known/oauth-authorization-server")
        def server() -> dict[str, Any]:
            token_endpoint = behaviour.metadata.get("token_endpoint", f"{self.url}/token")
            return {"issuer": self.url, "token_endpoint": token_endpoint}

        @app.get("/.well-known/jwt-vc-issuer")
        def jwt_vc() -> dict[str, Any]:
            did = behaviour.claimed_did or world.agency.did
            return {"issuer": did, "jwks": {"keys": [world.agency.key.public.to_jwk()]}}

        @app.get("/offers/{offer_id}")
        def by_reference(offer_id: str) -> Response:
            offer = self.offers.pop(offer_id, None)  # served once, as the real issuer does
            if offer is None:
                return JSONResponse(
                    {"error": "invalid_request", "civicid_error": "offer_already_fetched"},
                    status_code=410,
                )
            self.fetched.append(offer_id)
            return JSONResponse(offer)

        @app.get("/moved/{offer_id}")
        def moved(offer_id: str) -> Response:
            # An offer URI that answers with a redirect to where the offer is served.
            return Response(status_code=302, headers={"location": f"/offers/{offer_id}"})

        @app.post("/token")
        def token(
            grant_type: str = Form(),
            pre_authorized_code: str = Form(alias="pre-authorized_code"),
            tx_code: str | None = Form(default=None),
        ) -> Response:
            if behaviour.token_error is not None:
                return JSONResponse(behaviour.token_error, status_code=400)
            expected = self.codes.pop(pre_authorized_code, None)
            if grant_type != PRE_AUTHORIZED_GRANT or expected is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if expected and tx_code != expected:
                self.codes[pre_authorized_code] = expected
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "wrong transaction code"},
                    status_code=400,
                )
            access = secrets.token_urlsafe(16)
            self.tokens.add(access)
            behaviour.tokens_spent.append(pre_authorized_code)
            return JSONResponse({"access_token": access, "token_type": "Bearer"})

        @app.post("/nonce")
        def nonce() -> dict[str, str]:
            value = secrets.token_urlsafe(16)
            self.nonces.add(value)
            return {"c_nonce": value}

        @app.post("/credential")
        async def credential(request: Request, authorization: str = Header()) -> Response:
            if authorization.removeprefix("Bearer ") not in self.tokens:
                return JSONResponse({"error": "invalid_token"}, status_code=401)
            while behaviour.hang_credential and not self.released.is_set():
                await asyncio.sleep(0.05)
            if behaviour.garbage_credential:
                return Response(b"\x00<html>oops", media_type="application/json")
            body = CredentialRequest.from_json(await request.body())
            assert body.proofs is not None
            now = int(time.time())
            issued = []
            for proof in body.proofs.jwt:
                checked = verify_proof_jwt(proof, aud=self.url, now=now, nonce=self.check_nonce)
                holder = checked.key.to_jwk()
                if behaviour.bind_to_stranger:
                    holder = PrivateKey.generate().public.to_jwk()
                signer = behaviour.sign_with or world.agency
                index = world.allocator.allocate()
                self.issued_indices.append(index)
                issued.append(
                    {
                        "credential": sdjwt.issue(
                            issuer_key=signer.key,
                            kid=world.agency.kid if behaviour.sign_with is None else signer.kid,
                            iss=world.agency.did,
                            claims=dict(behaviour.claims),
                            disclosable=DISCLOSABLE,
                            iat=now,
                            exp=now + 365 * 86400,
                            vct=behaviour.vct,
                            cnf_jwk=holder,
                            status={"status_list": {"idx": index, "uri": STATUS_URI}},
                        )
                    }
                )
            return JSONResponse({"credentials": issued})

        return app

    def check_nonce(self, value: str) -> None:
        if value not in self.nonces:
            from civicid.oid4vci import PROOF_NONCE_MISMATCH

            raise PROOF_NONCE_MISMATCH()
