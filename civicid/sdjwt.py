"""SD-JWT (RFC 9901) and SD-JWT VC (``typ: dc+sd-jwt``): issue, present, and verify.

``verify`` runs the numbered pipeline below and raises at the first failed rule, each with its own
code; every step is also a public function, so a caller can run the pipeline step by step and say
which step failed. Issuing and presenting live in ``civicid.sdjwt_builder``, the wire format and
the processing of Disclosures in ``civicid.sdjwt_format``; both are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Final

from civicid.errors import Code, Error, InvalidInput, VerificationError, declare
from civicid.jose import KEY_SUPPLYING_HEADERS, SIGNING_ALGS, UNSUPPORTED_HEADERS, PublicKey
from civicid.sdjwt_builder import (
    KB_CLAIMS_MISSING,
    KB_KEY_MISMATCH,
    SDJWT_DECOYS_INVALID,
    SDJWT_PATH_INVALID,
    SDJWT_PATH_NOT_FOUND,
    Decoded,
    decode_unverified,
    disclosable_paths,
    issue,
    present,
)
from civicid.sdjwt_format import (
    KB_JWT_TYP,
    MAX_DEPTH,
    MAX_DISCLOSURES,
    MAX_PRESENTATION_BYTES,
    NOT_DISCLOSABLE,
    SD_JWT_VC_TYP,
    SDJWT_ALG_NOT_ALLOWED,
    SDJWT_CLAIM_NAME_RESERVED,
    SDJWT_CLAIM_NOT_DISCLOSABLE,
    SDJWT_CLAIM_OVERWRITE,
    SDJWT_CLAIMS_INVALID,
    SDJWT_DIGEST_DUPLICATE,
    SDJWT_DISCLOSURE_DUPLICATE,
    SDJWT_DISCLOSURE_MALFORMED,
    SDJWT_DISCLOSURE_UNREFERENCED,
    SDJWT_HEADER_FORBIDDEN,
    SDJWT_MALFORMED,
    SDJWT_SD_ALG_UNSUPPORTED,
    SDJWT_SIGNATURE_INVALID,
    SDJWT_TOO_DEEP,
    SDJWT_TOO_LARGE,
    SDJWT_TYP_INVALID,
    ClaimPath,
    Disclosure,
    Placed,
    Presentation,
    Processed,
    digest_of,
    loads_strict,
    parse,
    process,
    split_jws,
)

# How old a Key Binding JWT may be (pitfall 2): long enough for a citizen to read the request
# and consent on a phone, short enough that a captured presentation is soon worthless.
KB_MAX_AGE: Final = 300
# Clock difference tolerated between issuer, holder and verifier (RFC 7519 §4.1.4 "leeway").
CLOCK_SKEW: Final = 60

# Header parameters refused on both JWTs: a token never chooses its own key (pitfall 8), and
# nothing may change how it is read (RFC 7515 §4.1.11 crit, RFC 7797 b64).
FORBIDDEN_HEADERS: Final = KEY_SUPPLYING_HEADERS | UNSUPPORTED_HEADERS

SDJWT_EXPIRED = declare("sdjwt_expired", VerificationError, "the credential has expired")
SDJWT_NOT_YET_VALID = declare("sdjwt_not_yet_valid", VerificationError, "not valid yet (nbf)")
SDJWT_IAT_FUTURE = declare("sdjwt_iat_future", VerificationError, "issued in the future")
SDJWT_VCT_MISSING = declare("sdjwt_vct_missing", VerificationError, "an SD-JWT VC without vct")
KB_MISSING = declare("kb_missing", VerificationError, "key binding is required but absent")
KB_MALFORMED = declare("kb_malformed", InvalidInput, "the Key Binding JWT is not well formed")
KB_TYP_INVALID = declare("kb_typ_invalid", VerificationError, "Key Binding JWT typ is not kb+jwt")
KB_ALG_NOT_ALLOWED = declare(
    "kb_alg_not_allowed", VerificationError, "Key Binding JWT algorithm not allowed for the key"
)
KB_HEADER_FORBIDDEN = declare(
    "kb_header_forbidden", VerificationError, "a Key Binding JWT header parameter not accepted"
)
KB_SIGNATURE_INVALID = declare(
    "kb_signature_invalid", VerificationError, "the Key Binding JWT signature does not verify"
)
KB_SD_HASH_MISMATCH = declare(
    "kb_sd_hash_mismatch", VerificationError, "sd_hash does not cover this presentation"
)
KB_NONCE_MISMATCH = declare("kb_nonce_mismatch", VerificationError, "nonce is not the expected")
KB_AUD_MISMATCH = declare("kb_aud_mismatch", VerificationError, "aud is not this verifier")
KB_IAT_STALE = declare("kb_iat_stale", VerificationError, "the Key Binding JWT is too old")
KB_IAT_FUTURE = declare("kb_iat_future", VerificationError, "Key Binding JWT from the future")
KB_CNF_MISSING = declare("kb_cnf_missing", VerificationError, "the credential has no cnf.jwk")
KB_CNF_INVALID = declare("kb_cnf_invalid", VerificationError, "cnf.jwk is not a usable key")

KeyResolver = Callable[[dict[str, Any], dict[str, Any]], PublicKey]


@dataclass(frozen=True)
class Verified:
    """A presentation that passed every step."""

    header: dict[str, Any]
    payload: dict[str, Any]  # processed: _sd/_sd_alg removed, disclosed claims in place
    disclosed: tuple[ClaimPath, ...]  # indexes count elements of the processed arrays
    holder_key: PublicKey | None  # cnf.jwk, when the credential has one
    kb_payload: dict[str, Any] | None
    issuer_jwt: str
    disclosures: tuple[str, ...]


def check_issuer_header(presentation: Presentation, *, typ: str | Collection[str]) -> None:
    """Step 2: the issuer JWT's header, before any key is looked up."""
    header = presentation.jws.header
    found = header.get("typ")
    # 2a. typ (pitfall 7): a status list or KB-JWT signed by the same key is no credential.
    if not isinstance(found, str) or (found != typ if isinstance(typ, str) else found not in typ):
        allowed = [typ] if isinstance(typ, str) else sorted(typ)
        raise SDJWT_TYP_INVALID(f"typ must be one of {allowed}, got {found!r}")
    # 2b. alg on the allow-list: never none, never HMAC (RFC 9901 §7.1 step 2.1, pitfall 8).
    if header.get("alg") not in SIGNING_ALGS:
        raise SDJWT_ALG_NOT_ALLOWED(f"algorithm {header.get('alg')!r} is not allowed")
    # 2c. No key carried by the token itself (pitfall 8).
    if not FORBIDDEN_HEADERS.isdisjoint(header):  # asked first: no set made for a clean one
        for name in FORBIDDEN_HEADERS & header.keys():
            raise SDJWT_HEADER_FORBIDDEN(f"header parameter {name!r} is not accepted")


def verify_issuer_signature(
    presentation: Presentation, issuer_key: PublicKey | KeyResolver
) -> PublicKey:
    """Step 3: the issuer's signature (RFC 9901 §7.1 step 2.2-2.3) with the caller's key, or the
    key the caller's resolver finds from the (unverified) header and payload; never from alg."""
    jws = presentation.jws
    if isinstance(issuer_key, PublicKey):
        key = issuer_key
    else:
        key = issuer_key(jws.header, presentation.payload)
    alg = jws.header.get("alg")
    if alg not in SIGNING_ALGS or not key.accepts_alg(alg):
        raise SDJWT_ALG_NOT_ALLOWED(f"{alg} does not fit the issuer's key")
    try:
        key.verify_signature(alg, jws.signing_input, jws.signature)
    except VerificationError as exc:
        raise SDJWT_SIGNATURE_INVALID("the issuer's signature does not verify") from exc
    return key


def process_disclosures(presentation: Presentation) -> Processed:
    """Step 4: RFC 9901 §7.1 steps 2.4 and 3-5 (pitfalls 5, 6, 9)."""
    return process(presentation.payload, [Disclosure.parse(d) for d in presentation.disclosures])


def _numeric_date(claims: dict[str, Any], name: str, code: Code = SDJWT_MALFORMED) -> float | None:
    """RFC 7519 §2 NumericDate: a JSON number (never a boolean), or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if type(value) is int:  # the usual case
        try:
            return float(value)
        except OverflowError as exc:  # beyond a double: no time anyone means
            raise code(f"{name} must be a NumericDate") from exc
    if type(value) is not float or not math.isfinite(value):
        raise code(f"{name} must be a NumericDate")
    return value


def check_time_claims(claims: dict[str, Any], *, now: int, skew: int = CLOCK_SKEW) -> None:
    """Step 5: exp, nbf and iat of the *processed* payload (§7.1 step 6, pitfall 9), with skew."""
    exp = _numeric_date(claims, "exp")
    if exp is not None and now >= exp + skew:
        raise SDJWT_EXPIRED(f"expired at {int(exp)}")
    nbf = _numeric_date(claims, "nbf")
    if nbf is not None and now + skew < nbf:
        raise SDJWT_NOT_YET_VALID(f"not valid before {int(nbf)}")
    iat = _numeric_date(claims, "iat")
    if iat is not None and iat > now + skew:
        raise SDJWT_IAT_FUTURE(f"issued at {int(iat)}, in the future")


def check_type_claims(header: dict[str, Any], claims: dict[str, Any]) -> PublicKey | None:
    """Step 6: an SD-JWT VC names its type (SD-JWT VC §2.2.2.1); ``cnf.jwk``, if present, must be
    a public key we can use (RFC 7800 §3.2). Returns that holder key."""
    if header.get("typ") == SD_JWT_VC_TYP and not isinstance(claims.get("vct"), str):
        raise SDJWT_VCT_MISSING("an SD-JWT VC must carry a vct string")
    if "cnf" not in claims:
        return None
    cnf = claims["cnf"]
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise KB_CNF_INVALID("cnf must be an object with a jwk")
    try:
        return PublicKey.from_jwk(cnf["jwk"])
    except Error as exc:
        raise KB_CNF_INVALID(f"cnf.jwk is not a usable key: {exc.message}") from exc
    except (TypeError, ValueError) as exc:  # members of the wrong JSON type, e.g. "kty": []
        raise KB_CNF_INVALID("cnf.jwk is not a JWK") from exc


def verify_key_binding(
    presentation: Presentation,
    holder_key: PublicKey | None,
    *,
    now: int,
    nonce: str | None,
    aud: str | None,
    required: bool = True,
    max_kb_age: int = KB_MAX_AGE,
    skew: int = CLOCK_SKEW,
) -> dict[str, Any] | None:
    """Step 7: RFC 9901 §7.3 step 5. Returns the KB-JWT payload, or None when none was sent and
    none is required; whether it is required is the caller's policy, never the token's (§7.3
    step 1, pitfall 4)."""
    token = presentation.kb_jwt
    if token is None:
        if required:
            raise KB_MISSING("this presentation must carry a Key Binding JWT")
        return None
    # 7a. The key comes from cnf and nowhere else (§4.1.2, pitfall 8).
    if holder_key is None:
        raise KB_CNF_MISSING("a Key Binding JWT, but the credential names no holder key")
    header, body, signing_input, signature = split_jws(token, KB_MALFORMED)
    # 7b. Header: typ (§4.3, pitfall 7), alg allow-list, no embedded keys.
    if header.get("typ") != KB_JWT_TYP:
        raise KB_TYP_INVALID(f"typ must be {KB_JWT_TYP}, got {header.get('typ')!r}")
    alg = header.get("alg")
    if alg not in SIGNING_ALGS or not holder_key.accepts_alg(alg):
        raise KB_ALG_NOT_ALLOWED(f"algorithm {alg!r} is not allowed for the holder's key")
    if not FORBIDDEN_HEADERS.isdisjoint(header):
        for name in FORBIDDEN_HEADERS & header.keys():
            raise KB_HEADER_FORBIDDEN(f"header parameter {name!r} is not accepted")
    # 7c. Signature by the cnf key (§7.3 step 5.3).
    try:
        holder_key.verify_signature(alg, signing_input, signature)
    except VerificationError as exc:
        raise KB_SIGNATURE_INVALID("the Key Binding JWT signature does not verify") from exc
    payload = loads_strict(body, KB_MALFORMED)
    if not isinstance(payload, dict):
        raise KB_MALFORMED("the Key Binding JWT payload is a JSON object")
    # 7d. sd_hash over the issuer JWT and the Disclosures as sent (§4.3.1, pitfall 3).
    if payload.get("sd_hash") != digest_of(presentation.sd_jwt):
        raise KB_SD_HASH_MISMATCH("sd_hash does not match the SD-JWT it came with")
    # 7e. Freshness (§7.3 step 5.5, pitfall 2).
    iat = _numeric_date(payload, "iat", KB_MALFORMED)
    if iat is None:
        raise KB_MALFORMED("iat is required (RFC 9901 §4.3)")
    if iat > now + skew:
        raise KB_IAT_FUTURE(f"created at {int(iat)}, in the future")
    if iat < now - max_kb_age - skew:
        raise KB_IAT_STALE(f"created at {int(iat)}, more than {max_kb_age}s ago")
    # 7f. This transaction, this verifier (§7.3 step 5.6, pitfall 1): exact string matches.
    if nonce is None or payload.get("nonce") != nonce:
        raise KB_NONCE_MISMATCH("nonce is not the one this verifier issued")
    if aud is None or payload.get("aud") != aud:
        raise KB_AUD_MISMATCH(f"aud must be {aud!r}")
    return payload


def verify(
    presentation: str,
    *,
    issuer_key: PublicKey | KeyResolver,
    now: int,
    nonce: str | None = None,
    aud: str | None = None,
    require_key_binding: bool = True,
    typ: str | Collection[str] = SD_JWT_VC_TYP,
    max_kb_age: int = KB_MAX_AGE,
    skew: int = CLOCK_SKEW,
) -> Verified:
    """Verify an SD-JWT(+KB) as RFC 9901 §7.1 and §7.3 say, raising at the first failed step.

    ``require_key_binding=False`` is for a holder checking a freshly issued credential: then a
    Key Binding JWT must be absent or valid.
    """
    # 1. Split into issuer JWT, Disclosures and KB-JWT; decode (§7.1 step 1).
    parsed = parse(presentation)
    # 2. Issuer JWT header: typ, alg, no embedded keys.
    check_issuer_header(parsed, typ=typ)
    # 3. Issuer signature with the caller's key (§7.1 step 2).
    verify_issuer_signature(parsed, issuer_key)
    # 4. Disclosures: digests, duplicates, references, reserved names (§7.1 steps 2.4, 3-5).
    processed = process_disclosures(parsed)
    claims = processed.claims
    # 5. Validity times, read only now that Disclosures are processed (§7.1 step 6).
    check_time_claims(claims, now=now, skew=skew)
    # 6. vct and the holder key.
    holder_key = check_type_claims(parsed.jws.header, claims)
    # 7. Key binding (§7.3).
    kb_payload = verify_key_binding(
        parsed,
        holder_key,
        now=now,
        nonce=nonce,
        aud=aud,
        required=require_key_binding,
        max_kb_age=max_kb_age,
        skew=skew,
    )
    return Verified(
        header=parsed.jws.header,
        payload=claims,
        disclosed=processed.paths,
        holder_key=holder_key,
        kb_payload=kb_payload,
        issuer_jwt=parsed.issuer_jwt,
        disclosures=parsed.disclosures,
    )


__all__ = [
    "CLOCK_SKEW",
    "KB_ALG_NOT_ALLOWED",
    "KB_AUD_MISMATCH",
    "KB_CLAIMS_MISSING",
    "KB_CNF_INVALID",
    "KB_CNF_MISSING",
    "KB_HEADER_FORBIDDEN",
    "KB_IAT_FUTURE",
    "KB_IAT_STALE",
    "KB_JWT_TYP",
    "KB_KEY_MISMATCH",
    "KB_MALFORMED",
    "KB_MAX_AGE",
    "KB_MISSING",
    "KB_NONCE_MISMATCH",
    "KB_SD_HASH_MISMATCH",
    "KB_SIGNATURE_INVALID",
    "KB_TYP_INVALID",
    "MAX_DEPTH",
    "MAX_DISCLOSURES",
    "MAX_PRESENTATION_BYTES",
    "NOT_DISCLOSABLE",
    "SDJWT_ALG_NOT_ALLOWED",
    "SDJWT_CLAIMS_INVALID",
    "SDJWT_CLAIM_NAME_RESERVED",
    "SDJWT_CLAIM_NOT_DISCLOSABLE",
    "SDJWT_CLAIM_OVERWRITE",
    "SDJWT_DECOYS_INVALID",
    "SDJWT_DIGEST_DUPLICATE",
    "SDJWT_DISCLOSURE_DUPLICATE",
    "SDJWT_DISCLOSURE_MALFORMED",
    "SDJWT_DISCLOSURE_UNREFERENCED",
    "SDJWT_EXPIRED",
    "SDJWT_HEADER_FORBIDDEN",
    "SDJWT_IAT_FUTURE",
    "SDJWT_MALFORMED",
    "SDJWT_NOT_YET_VALID",
    "SDJWT_PATH_INVALID",
    "SDJWT_PATH_NOT_FOUND",
    "SDJWT_SD_ALG_UNSUPPORTED",
    "SDJWT_SIGNATURE_INVALID",
    "SDJWT_TOO_DEEP",
    "SDJWT_TOO_LARGE",
    "SDJWT_TYP_INVALID",
    "SDJWT_VCT_MISSING",
    "SD_JWT_VC_TYP",
    "ClaimPath",
    "Decoded",
    "Disclosure",
    "KeyResolver",
    "Placed",
    "Presentation",
    "Processed",
    "Verified",
    "check_issuer_header",
    "check_time_claims",
    "check_type_claims",
    "decode_unverified",
    "disclosable_paths",
    "issue",
    "parse",
    "present",
    "process_disclosures",
    "verify",
    "verify_issuer_signature",
    "verify_key_binding",
]
