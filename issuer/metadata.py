"""The documents a wallet (or any software) reads before it asks for a credential: Credential
Issuer Metadata (OpenID4VCI §12.2), Authorization Server Metadata (RFC 8414, §12.3) and JWT
VC Issuer Metadata (SD-JWT VC §4). Display comes from the type registered on the ledger
unless a configuration gives its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civicid.identity import Identity
from civicid.jose import SIGNING_ALGS
from civicid.oid4vci import (
    FORMAT_SD_JWT_VC,
    PRE_AUTHORIZED_GRANT,
    PROOF_TYPE_JWT,
    AuthorizationServerMetadata,
    CredentialIssuerMetadata,
    JwtVcIssuerMetadata,
)
from issuer.credential_types import CredentialType
from issuer.settings import IssuerSettings


def type_display(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """SD-JWT VC §5.5 display entries as OpenID4VCI §12.2.4 credential display objects."""
    out = []
    for entry in metadata.get("display", []):
        simple = entry.get("rendering", {}).get("simple", {})
        item = {"name": entry["name"], "locale": entry["locale"]}
        for name in ("description",):
            if name in entry:
                item[name] = entry[name]
        for name in ("background_color", "text_color", "logo", "background_image"):
            if name in simple:
                item[name] = simple[name]
        out.append(item)
    return out


def claim_descriptions(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """§5.6 claim metadata as Appendix B.2 claims descriptions (``label`` becomes ``name``)."""
    out = []
    for claim in metadata.get("claims", []):
        if claim.get("sd") == "never" and claim["path"][0] in ("iss", "status", "cnf", "vct"):
            continue  # registered claims the issuer sets; nothing for a wallet to show
        item: dict[str, Any] = {"path": claim["path"]}
        if "mandatory" in claim:
            item["mandatory"] = claim["mandatory"]
        if "display" in claim:
            item["display"] = [
                {"name": d["label"], "locale": d["locale"]} for d in claim["display"]
            ]
        out.append(item)
    return out


def issuer_metadata(
    settings: IssuerSettings,
    identity: Identity,
    types: Callable[[str], CredentialType | None],
) -> CredentialIssuerMetadata:
    url = settings.public_url
    configurations: dict[str, Any] = {}
    for config in settings.credential_configurations:
        known = types(config.vct)
        document = known.metadata.document if known is not None else {}
        credential_metadata: dict[str, Any] = {}
        display = config.display or type_display(document)
        if display:
            credential_metadata["display"] = display
        claims = claim_descriptions(document)
        if claims:
            credential_metadata["claims"] = claims
        configurations[config.id] = {
            "format": FORMAT_SD_JWT_VC,
            "scope": config.id,
            "vct": config.vct,
            "credential_signing_alg_values_supported": [identity.key.alg],
            "cryptographic_binding_methods_supported": ["jwk"],
            "proof_types_supported": {
                PROOF_TYPE_JWT: {"proof_signing_alg_values_supported": list(SIGNING_ALGS)}
            },
            **({"credential_metadata": credential_metadata} if credential_metadata else {}),
        }
    body: dict[str, Any] = {
        "credential_issuer": url,
        "credential_endpoint": f"{url}/credential",
        "nonce_endpoint": f"{url}/nonce",
        "credential_configurations_supported": configurations,
    }
    batch = max((c.batch_size for c in settings.credential_configurations), default=1)
    if batch >= 2:  # §12.2.4: batch_size MUST be 2 or greater, else the member is left out
        body["batch_credential_issuance"] = {"batch_size": batch}
    return CredentialIssuerMetadata.from_json(body)


def authorization_server_metadata(settings: IssuerSettings) -> AuthorizationServerMetadata:
    url = settings.public_url
    return AuthorizationServerMetadata.from_json(
        {
            "issuer": url,
            "token_endpoint": f"{url}/token",
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
            "token_endpoint_auth_methods_supported": ["none"],
            "pre-authorized_grant_anonymous_access_supported": True,
        }
    )


def jwt_vc_issuer_metadata(identity: Identity) -> JwtVcIssuerMetadata:
    """§4: ``issuer`` equals the credentials' ``iss`` (the agency DID); each key carries the
    DID URL that credentials name in ``kid``. Inside the ecosystem the ledger is the source."""
    key = {**identity.key.public.to_jwk(), "kid": identity.kid, "alg": identity.key.alg}
    return JwtVcIssuerMetadata.from_json({"issuer": identity.did, "jwks": {"keys": [key]}})
