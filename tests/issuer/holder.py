"""A minimal test-only holder: takes an offer link, runs the pre-authorized code flow against
an issuer (in-process, or over real HTTP) and checks what it receives with ``sdjwt.verify``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from civicid import sdjwt
from civicid.errors import Error
from civicid.jose import PrivateKey, PublicKey
from civicid.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    WELL_KNOWN_ISSUER,
    CredentialIssuerMetadata,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    ErrorResponse,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    build_proof_jwt,
    parse_offer_link,
)
from issuer.service import Issuer


@dataclass
class Http:
    """The issuer's endpoints over HTTP: the public URL's paths, sent to the loopback server."""

    base: str
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def url(self, public: str) -> str:
        parts = urlsplit(public)
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise ErrorResponse.from_json(response.content).to_error(response.status_code)
        return response.json()

    def get(self, public: str) -> Any:
        return self.check(self.client.get(self.url(public)))

    def token(self, request: TokenRequest) -> TokenResponse:
        answer = self.client.post(self.url("/token"), data=request.to_form())
        return TokenResponse.from_json(self.check(answer))

    def nonce(self) -> NonceResponse:
        return NonceResponse.from_json(self.check(self.client.post(self.url("/nonce"))))

    def credential(self, token: str | None, request: CredentialRequest) -> CredentialResponse:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        answer = self.client.post(self.url("/credential"), json=request.to_json(), headers=headers)
        return CredentialResponse.from_json(self.check(answer))


@dataclass
class InProcess:
    issuer: Issuer

    def get(self, public: str) -> Any:
        path = urlsplit(public).path
        if path == WELL_KNOWN_ISSUER:
            return self.issuer.issuer_metadata()
        return self.issuer.fetch_offer(path.rsplit("/", 1)[-1])

    def token(self, request: TokenRequest) -> TokenResponse:
        return self.issuer.token(request)

    def nonce(self) -> NonceResponse:
        return self.issuer.nonce()

    def credential(self, token: str | None, request: CredentialRequest) -> CredentialResponse:
        return self.issuer.credential_request(token, request)


Transport = Http | InProcess


@dataclass
class Holder:
    transport: Transport
    keys: list[PrivateKey] = field(default_factory=list)

    def offer(self, link: str) -> CredentialOffer:
        parsed = parse_offer_link(link)
        if parsed.offer is not None:
            return parsed.offer
        assert parsed.offer_uri is not None
        return CredentialOffer.from_json(self.transport.get(parsed.offer_uri))

    def token(self, offer: CredentialOffer, tx_code: str | None) -> TokenResponse:
        grant = offer.pre_authorized
        assert grant is not None
        return self.transport.token(
            TokenRequest.from_form(
                {
                    "grant_type": PRE_AUTHORIZED_GRANT,
                    "pre-authorized_code": grant.pre_authorized_code,
                    **({"tx_code": tx_code} if tx_code is not None else {}),
                }
            )
        )

    def proofs(self, aud: str, nonce: str | None, copies: int, now: int) -> list[str]:
        self.keys = [PrivateKey.generate() for _ in range(copies)]
        return [build_proof_jwt(k, aud=aud, nonce=nonce, iat=now) for k in self.keys]

    def receive(self, link: str, tx_code: str | None, *, copies: int = 1, now: int) -> list[str]:
        """The whole flow; returns the credentials (checked against the metadata's issuer)."""
        offer = self.offer(link)
        metadata = CredentialIssuerMetadata.from_json(
            self.transport.get(offer.credential_issuer + WELL_KNOWN_ISSUER)
        )
        assert metadata.credential_issuer == offer.credential_issuer
        token = self.token(offer, tx_code)
        nonce = self.transport.nonce().c_nonce
        request = CredentialRequest.from_json(
            {
                "credential_configuration_id": offer.credential_configuration_ids[0],
                "proofs": {"jwt": self.proofs(offer.credential_issuer, nonce, copies, now)},
            }
        )
        response = self.transport.credential(token.access_token, request)
        assert response.credentials is not None
        return [str(c.credential) for c in response.credentials]


def check_credential(
    credential: str, issuer_key: PublicKey, holder_key: PrivateKey, now: int
) -> sdjwt.Verified:
    """As a wallet would on receipt: signature, structure, times; bound to ``holder_key``."""
    verified = sdjwt.verify(credential, issuer_key=issuer_key, now=now, require_key_binding=False)
    cnf = verified.payload.get("cnf", {}).get("jwk")
    if PublicKey.from_jwk(cnf) != holder_key.public:
        raise Error("test_cnf_mismatch", "credential bound to another key")
    return verified
