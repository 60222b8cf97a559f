"""How a credential gets into the wallet, whether issued over OpenID4VCI or imported from a
file: verified with the issuer's key as the ledger had it at ``iat``, its issuer accredited
for its type, bound to a key the wallet holds, and only then turned into a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from civicid import sdjwt, sdjwt_format, words
from civicid.did import split_key_id
from civicid.encoding import parse_json
from civicid.errors import Error
from civicid.jose import PrivateKey, PublicKey
from civicid.names import display_name as body_display_name
from civicid.names import endorsed_names
from civicid.proven import ProvenType
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from civicid.trust import ANY_AGE, Trust
from wallet.errors import (
    WALLET_CNF_MISMATCH,
    WALLET_HOLDER_KEY_MISSING,
    WALLET_IMPORT_INVALID,
    WALLET_ISSUER_MISMATCH,
)
from wallet.holder.credentials import (
    ORIGIN_IMPORT,
    ORIGIN_ISSUANCE,
    REVOKED,
    SUSPENDED,
    UNKNOWN,
    VALID,
    Copy,
    Credential,
    new_id,
)

# Claims the issuer sets about the credential itself: shown as facts of the card (issuer,
# dates, type), never as the holder's claims, and never selectively disclosable.
REGISTERED: Final = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub"})
STATUS_NAMES: Final = {STATUS_VALID: VALID, STATUS_INVALID: REVOKED, STATUS_SUSPENDED: SUSPENDED}
PREFERRED_LOCALES: Final = ("en-GB", "en", "en-US")


@dataclass(frozen=True, slots=True)
class Accepted:
    """One verified copy: what ``sdjwt.verify`` vouched for, with its holder key."""

    sd_jwt: str
    verified: sdjwt.Verified
    key: PrivateKey

    @property
    def payload(self) -> dict[str, Any]:
        return self.verified.payload


def issuer_key_resolver(trust: Trust, issuer: str | None) -> sdjwt.KeyResolver:
    """The issuer's key for a credential: ``kid`` must be a key of ``iss`` (and of the issuer
    the wallet expected), resolved on the ledger as it stood at the credential's ``iat``."""

    def resolve(header: dict[str, Any], payload: dict[str, Any]) -> PublicKey:
        iss, kid, iat = payload.get("iss"), header.get("kid"), payload.get("iat")
        if not isinstance(iss, str) or not isinstance(kid, str) or type(iat) is not int:
            raise sdjwt.SDJWT_MALFORMED("an SD-JWT VC of this ecosystem has iss, kid and iat")
        if split_key_id(kid)[0] != iss:
            raise WALLET_ISSUER_MISMATCH(f"signed with {kid}, a key of another DID than {iss}")
        if issuer is not None and iss != issuer:
            raise WALLET_ISSUER_MISMATCH(f"issued by {iss}, not by the offering {issuer}")
        return trust.key_in_force(kid, iat)

    return resolve


def verify_copy(
    trust: Trust,
    sd_jwt: str,
    *,
    issuer: str | None,
    vct: str | None,
    keys: Sequence[PrivateKey],
    now: int,
) -> Accepted:
    """Verify one received SD-JWT VC and find which of ``keys`` it is bound to."""
    verified = sdjwt.verify(
        sd_jwt,
        issuer_key=issuer_key_resolver(trust, issuer),
        now=now,
        require_key_binding=False,
    )
    payload = verified.payload
    if vct is not None and payload.get("vct") != vct:
        raise WALLET_ISSUER_MISMATCH(f"a {payload.get('vct')!r} credential, not the offered {vct}")
    bound = verified.holder_key
    if bound is None:
        raise WALLET_CNF_MISMATCH("the credential names no holder key (cnf.jwk)")
    for key in keys:
        if key.public == bound:
            return Accepted(sd_jwt, verified, key)
    raise WALLET_CNF_MISMATCH("the credential is bound to a key this wallet did not offer")


def status_reference(payload: dict[str, Any]) -> tuple[str | None, int | None]:
    """Token Status List §6.1 ``status.status_list.{uri, idx}``, if the credential has one."""
    status = payload.get("status")
    if not isinstance(status, dict):
        return None, None
    reference = status.get("status_list")
    if not isinstance(reference, dict):
        return None, None
    uri, idx = reference.get("uri"), reference.get("idx")
    if not isinstance(uri, str) or type(idx) is not int or idx < 0:
        raise WALLET_IMPORT_INVALID("status.status_list needs a uri and a non-negative idx")
    return uri, idx


def check_status(trust: Trust, issuer: str, uri: str | None, idx: int | None, now: int) -> str:
    """The copy's status from the list the ledger holds (never the issuer's own server),
    which must be the issuer's own."""
    if uri is None or idx is None:
        return VALID  # a credential without a status reference cannot be revoked
    try:
        listed = trust.status_list(uri, issuer=issuer, now=now).value.status(idx)
    except Error:
        return UNKNOWN
    return STATUS_NAMES.get(listed, UNKNOWN)


def display_name(entries: Any) -> str | None:
    """A display name from SD-JWT VC §5.5 / OpenID4VCI display entries, English first."""
    if not isinstance(entries, list):
        return None
    named = [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)]
    for locale in PREFERRED_LOCALES:
        for entry in named:
            if entry.get("locale") == locale:
                return str(entry["name"])
    return str(named[0]["name"]) if named else None


def display_name_in(names: Mapping[str, str], languages: Sequence[str]) -> str | None:
    """A public body's name as it registered it on the ledger (``civicid.names``), in the
    first of ``languages`` it has one in; None if it registered none."""
    return body_display_name(names, languages, fallback="") or None


def claim_labels(metadata: dict[str, Any]) -> dict[str, str]:
    """Claim path -> label from the type metadata's claim display (§5.6), English first: the
    kernel's reading (``civicid.words.labels``), which the desk's page uses too."""
    return words.labels(metadata)


def holder_claims(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in REGISTERED}


def to_record(
    trust: Trust,
    copies: Sequence[Accepted],
    *,
    proven_type: ProvenType | None,
    issuer_names: dict[str, str],
    languages: Sequence[str],
    now: int,
    origin: str = ORIGIN_ISSUANCE,
) -> Credential:
    """One credential record for a batch of verified copies of the same credential; the
    issuer is named as it registered itself on the ledger (``issuer_names``), in the first
    of ``languages`` it has a name in."""
    first = copies[0].payload
    disclosable = tuple(
        path
        for path in copies[0].verified.disclosed
        if path and isinstance(path[0], str) and path[0] not in REGISTERED
    )
    made = []
    for accepted in copies:
        uri, idx = status_reference(accepted.payload)
        made.append(
            Copy(
                id=new_id(),
                sd_jwt=accepted.sd_jwt,
                key=accepted.key.to_json(),
                status_uri=uri,
                status_idx=idx,
                status=check_status(trust, str(accepted.payload["iss"]), uri, idx, now),
            )
        )
    metadata = proven_type.metadata if proven_type is not None else {}
    exp = first.get("exp")
    return Credential(
        id=new_id(),
        vct=str(first["vct"]),
        issuer=str(first["iss"]),
        issuer_name=display_name_in(issuer_names, languages),
        issuer_names=issuer_names,
        type_name=display_name(metadata.get("display")) or metadata.get("name"),
        claims=holder_claims(first),
        disclosable=disclosable,
        labels=claim_labels(metadata),
        issued_at=int(first["iat"]),
        expires_at=int(exp) if isinstance(exp, int | float) else None,
        received_at=now,
        checked_at=now,
        origin=origin,
        copies=tuple(made),
    )


def import_credential(
    trust: Trust,
    sd_jwt: str,
    key: PrivateKey | None,
    *,
    now: int,
    languages: Sequence[str] = PREFERRED_LOCALES,
) -> Credential:
    """A credential from a file: the same checks as one issued to this wallet, plus the
    issuer's accreditation for its type as of its ``iat`` (nobody vetted the offer)."""
    text = sd_jwt.strip()
    try:  # its shape first: a file of anything else is not a credential (whatever its key)
        sdjwt_format.parse(text)
    except Error as exc:
        raise WALLET_IMPORT_INVALID(
            f"not a credential file (an SD-JWT VC, or JSON holding one): {exc.message}"
        ) from exc
    if key is None:
        raise WALLET_HOLDER_KEY_MISSING(
            "the credential is bound to a holder key: give its private JWK too"
        )
    accepted = verify_copy(trust, text, issuer=None, vct=None, keys=[key], now=now)
    payload = accepted.payload
    trust.issuer_standing(
        str(payload["iss"]), str(payload["vct"]), int(payload["iat"]), now=now
    ).require()
    try:
        proven: ProvenType | None = trust.credential_type(str(payload["vct"]), now=now)
    except Error:
        proven = None
    # The issuer's first version never changes: the history its key was just proven from.
    names = endorsed_names(trust.history(str(payload["iss"]), now=now, max_age=ANY_AGE))
    return to_record(
        trust,
        [accepted],
        proven_type=proven,
        issuer_names=names,
        languages=languages,
        now=now,
        origin=ORIGIN_IMPORT,
    )


# An SD-JWT VC with its disclosures is a few kilobytes; a file much larger is not one.
MAX_IMPORT_BYTES: Final = 512 * 1024


def read_import(data: bytes, key_data: bytes | None) -> tuple[str, PrivateKey | None]:
    """A credential file: the compact SD-JWT VC itself, or JSON ``{"credential": ...,
    "holder_key": <private JWK>}``; the key may also come from its own file."""
    if len(data) > MAX_IMPORT_BYTES:
        raise WALLET_IMPORT_INVALID(f"the file is over {MAX_IMPORT_BYTES} bytes")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise WALLET_IMPORT_INVALID("the file is not text") from exc
    key_json: Any = None
    if text.startswith("{"):
        # I-JSON, read as every peer's JSON is: a file nested deeper than the parser goes
        # (it broke the command with a traceback), a name twice or a NaN is refused.
        body = parse_json(text, code=WALLET_IMPORT_INVALID)
        if not isinstance(body, dict) or not isinstance(body.get("credential"), str):
            raise WALLET_IMPORT_INVALID('JSON files hold {"credential": "...", ...}')
        text, key_json = body["credential"], body.get("holder_key")
    if key_data is not None:
        try:
            key_json = parse_json(key_data, code=WALLET_IMPORT_INVALID)
        except Error as exc:
            raise WALLET_IMPORT_INVALID(f"the key file is not a JWK: {exc.message}") from exc
    if key_json is None:
        return text, None
    if isinstance(key_json, dict) and "jwk" not in key_json:
        key_json = {"jwk": key_json, "alg": key_json.get("alg", "ES256")}
    try:
        return text, PrivateKey.from_json(key_json)
    except Error as exc:
        raise WALLET_IMPORT_INVALID(f"the holder key is not usable: {exc.message}") from exc
