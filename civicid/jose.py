"""Keys and compact JWS over jwcrypto, with algorithm allow-lists (RFC 7515/7517/7518, RFC 9864).

Verification never takes the algorithm from the token alone: the header's ``alg`` must be on
the caller's allow-list *and* match the key's type and curve, so ``none`` and HMAC keyed with a
public key are impossible by construction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwcrypto import jwk
from jwcrypto.common import JWException
from jwcrypto.jwa import JWA

from civicid.encoding import CodeLike, b64url_decode, b64url_encode, parse_json_object
from civicid.errors import InvalidInput, VerificationError

# RFC 9864 fully-specified names. "EdDSA" is the polymorphic legacy name: verify-only, opt-in.
KEY_TYPES: Final[dict[str, tuple[str, str]]] = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "Ed25519": ("OKP", "Ed25519"),
    "EdDSA": ("OKP", "Ed25519"),
}
SIGNING_ALGS: Final = ("ES256", "ES384", "Ed25519")
DEFAULT_ALG: Final = "ES256"

# A compact JWS bigger than this is refused before any parsing: every token we accept
# (transactions, credentials, status lists) fits well inside it.
MAX_JWS_BYTES: Final = 4 * 1024 * 1024

# Header parameters that would let a token choose its own verification key, or change how
# the payload is read; refused unless a caller explicitly allows one (RFC 7515 §4.1).
KEY_SUPPLYING_HEADERS: Final = frozenset({"jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"})
UNSUPPORTED_HEADERS: Final = frozenset({"crit", "b64", "zip", "enc"})


# Parsed public keys, by their JSON: importing a key validates the curve point, which costs
# more than the signature check it serves. Keys are immutable, so the cache only saves work.
MAX_CACHED_KEYS: Final = 20_000
_KEY_CACHE: dict[str, PublicKey] = {}

# Coordinate sizes in bytes (RFC 7518 §6.2.1.2, RFC 8037 §2), and the hash of each algorithm.
CURVES: Final[dict[str, tuple[int, ec.EllipticCurve | None]]] = {
    "P-256": (32, ec.SECP256R1()),
    "P-384": (48, ec.SECP384R1()),
    "Ed25519": (32, None),
}
HASHES: Final[dict[str, hashes.HashAlgorithm]] = {
    "ES256": hashes.SHA256(),
    "ES384": hashes.SHA384(),
}
PUBLIC_MEMBERS: Final = ("kty", "crv", "x", "y", "kid", "use", "alg", "key_ops")

VerifyingKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class PublicKey:
    """A public verification key; never holds private material.

    The key object is built once (jwcrypto would rebuild it for every verification); the
    jwcrypto JWK is made only when asked for (thumbprints, interop).
    """

    __slots__ = ("_json", "_jwk", "_key", "_thumbprint")

    def __init__(self, value: dict[str, Any], key: VerifyingKey) -> None:
        self._json = value
        self._key = key
        self._jwk: jwk.JWK | None = None
        self._thumbprint: str | None = None

    @classmethod
    def from_jwk(cls, value: Any) -> PublicKey:
        if isinstance(value, dict):
            try:
                cache_key = json.dumps(value, sort_keys=True)
            except (TypeError, ValueError):
                cache_key = None
            if cache_key is not None:
                cached = _KEY_CACHE.get(cache_key)
                if cached is None:
                    cached = cls._from_jwk(value)
                    if len(_KEY_CACHE) >= MAX_CACHED_KEYS:
                        _KEY_CACHE.clear()
                    _KEY_CACHE[cache_key] = cached
                return cached
        return cls._from_jwk(value)

    @classmethod
    def _from_jwk(cls, value: Any) -> PublicKey:
        if not isinstance(value, dict):
            raise InvalidInput("jwk_invalid", "a JWK must be a JSON object")
        if "d" in value or "p" in value or "k" in value:
            raise InvalidInput(
                "jwk_private_material", "a public key must not carry private members"
            )
        kty, crv = value.get("kty"), value.get("crv")
        if (kty, crv) not in set(KEY_TYPES.values()):
            raise InvalidInput(
                "jwk_unsupported",
                f"key type {kty}/{crv} is not allowed (P-256, P-384, Ed25519)",
            )
        size, curve = CURVES[str(crv)]
        x = b64url_decode(str(value.get("x", "")), code="jwk_invalid")
        try:
            if curve is None:
                if len(x) != size or "y" in value:
                    raise ValueError("Ed25519 keys have a 32-byte x and no y")
                key: VerifyingKey = ed25519.Ed25519PublicKey.from_public_bytes(x)
            else:
                y = b64url_decode(str(value.get("y", "")), code="jwk_invalid")
                if len(x) != size or len(y) != size:
                    raise ValueError(f"{crv} coordinates are {size} bytes")
                # Raises unless the point is on the curve (no invalid-curve attacks).
                key = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve
                ).public_key()
        except ValueError as exc:
            raise InvalidInput("jwk_invalid", f"not a valid {crv} key: {exc}") from exc
        public = {name: value[name] for name in PUBLIC_MEMBERS if name in value}
        return cls(public, key)

    def to_jwk(self) -> dict[str, Any]:
        return dict(self._json)

    @property
    def kty_crv(self) -> tuple[str, str]:
        return self._json["kty"], self._json["crv"]

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint, SHA-256, base64url (computed by jwcrypto)."""
        if self._thumbprint is None:
            self._thumbprint = str(self.jwcrypto_key.thumbprint())
        return self._thumbprint

    def accepts_alg(self, alg: str) -> bool:
        return KEY_TYPES.get(alg) == self.kty_crv

    @property
    def jwcrypto_key(self) -> jwk.JWK:
        if self._jwk is None:
            self._jwk = jwk.JWK(**self._json)
        return self._jwk

    def verify_signature(self, alg: str, data: bytes, signature: bytes) -> None:
        """RFC 7518 §3.4 / RFC 8037 §3.1 signature check; ``alg`` must fit this key."""
        if not self.accepts_alg(alg):
            raise VerificationError("jws_alg_key_mismatch", f"{alg} does not fit the signer's key")
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                self._key.verify(signature, data)
                return
            size = CURVES[self.kty_crv[1]][0]
            # JWS carries R || S, fixed width; anything else is not a JWS ECDSA signature.
            if len(signature) != 2 * size:
                raise InvalidSignature
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            self._key.verify(der, data, ec.ECDSA(HASHES[alg]))
        except InvalidSignature as exc:
            raise VerificationError("jws_signature_invalid", "signature does not verify") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.thumbprint() == other.thumbprint()

    def __hash__(self) -> int:
        return hash(self.thumbprint())


class PrivateKey:
    """A signing key with its fully-specified algorithm."""

    __slots__ = ("_jwk", "alg", "public")

    def __init__(self, key: jwk.JWK, alg: str) -> None:
        if alg not in SIGNING_ALGS:
            raise InvalidInput("jws_alg_forbidden", f"{alg} is not a signing algorithm we use")
        self._jwk = key
        self.alg = alg
        self.public = PublicKey.from_jwk(key.export_public(as_dict=True))
        if not self.public.accepts_alg(alg):
            raise InvalidInput("jws_alg_key_mismatch", f"{alg} does not fit this key")

    @classmethod
    def generate(cls, alg: str = DEFAULT_ALG) -> PrivateKey:
        if alg not in SIGNING_ALGS:
            raise InvalidInput("jws_alg_forbidden", f"{alg} is not a signing algorithm we use")
        kty, crv = KEY_TYPES[alg]
        return cls(jwk.JWK.generate(kty=kty, crv=crv), alg)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> PrivateKey:
        try:
            key = jwk.JWK(**value["jwk"])
        except (KeyError, JWException, ValueError, TypeError) as exc:
            raise InvalidInput("jwk_invalid", "not a stored private key") from exc
        if not key.has_private:
            raise InvalidInput("jwk_invalid", "stored key has no private part")
        return cls(key, str(value.get("alg", DEFAULT_ALG)))

    def to_json(self) -> dict[str, Any]:
        return {"alg": self.alg, "jwk": self._jwk.export_private(as_dict=True)}

    @property
    def jwcrypto_key(self) -> jwk.JWK:
        return self._jwk

    def sign_compact(self, payload: bytes, header: dict[str, Any]) -> str:
        """Compact JWS over ``payload``; ``alg`` is always this key's, whatever ``header`` says."""
        protected = json.dumps({**header, "alg": self.alg}, separators=(",", ":"))
        signing_input = f"{b64url_encode(protected.encode())}.{b64url_encode(payload)}"
        signature = JWA.signing_alg(self.alg).sign(self._jwk, signing_input.encode("ascii"))
        return f"{signing_input}.{b64url_encode(signature)}"


@dataclass(frozen=True, slots=True)
class CompactJWS:
    """A compact JWS split into its parts; nothing here is verified yet."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes
    text: str

    @classmethod
    def parse(cls, token: str, *, max_bytes: int = MAX_JWS_BYTES) -> CompactJWS:
        if not isinstance(token, str):
            raise InvalidInput("jws_malformed", "a compact JWS must be text")
        if len(token) > max_bytes:
            raise InvalidInput("jws_too_large", f"token is over {max_bytes} bytes")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts[:2]) or not parts[2]:
            raise InvalidInput("jws_malformed", "a compact JWS has three non-empty parts")
        header = parse_json_object(
            b64url_decode(parts[0], code="jws_malformed"), code="jws_malformed"
        )
        payload = b64url_decode(parts[1], code="jws_malformed")
        signature = b64url_decode(parts[2], code="jws_malformed")
        return cls(
            header=header,
            payload=payload,
            signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
            signature=signature,
            text=token,
        )

    @property
    def alg(self) -> str:
        alg = self.header.get("alg")
        if not isinstance(alg, str):
            raise InvalidInput("jws_malformed", "header has no alg")
        return alg

    def check_header(
        self,
        *,
        allowed_algs: tuple[str, ...],
        typ: str | None,
        allow_headers: frozenset[str] = frozenset(),
    ) -> None:
        """Allow-list checks that need no key: alg, typ, and no key-supplying parameters."""
        alg = self.alg
        if alg not in allowed_algs or alg not in KEY_TYPES:
            raise VerificationError("jws_alg_forbidden", f"algorithm {alg!r} is not allowed here")
        for name in (KEY_SUPPLYING_HEADERS | UNSUPPORTED_HEADERS) - allow_headers:
            if name in self.header:
                code = (
                    "jws_embedded_key" if name in KEY_SUPPLYING_HEADERS else "jws_header_forbidden"
                )
                raise VerificationError(code, f"header parameter {name!r} is not accepted")
        if typ is not None and self.header.get("typ") != typ:
            raise VerificationError(
                "jws_typ_mismatch", f"typ must be {typ!r}, got {self.header.get('typ')!r}"
            )

    def verify_with(self, key: PublicKey) -> None:
        """Check the signature over the exact bytes received (RFC 7515 §5.2 step 8) with
        ``key``; the header's alg must fit the key (no algorithm confusion)."""
        key.verify_signature(self.alg, self.signing_input, self.signature)

    def payload_json(self, *, code: CodeLike = "jws_malformed") -> dict[str, Any]:
        return parse_json_object(self.payload, code=code)


def verify_compact(
    token: str,
    key: PublicKey,
    *,
    allowed_algs: tuple[str, ...] = SIGNING_ALGS,
    typ: str | None,
    max_bytes: int = MAX_JWS_BYTES,
) -> CompactJWS:
    """Parse, allow-list and verify in one step, for callers that already know the key."""
    parsed = CompactJWS.parse(token, max_bytes=max_bytes)
    parsed.check_header(allowed_algs=allowed_algs, typ=typ)
    parsed.verify_with(key)
    return parsed


__all__ = [
    "DEFAULT_ALG",
    "SIGNING_ALGS",
    "CompactJWS",
    "PrivateKey",
    "PublicKey",
    "b64url_encode",
    "verify_compact",
]
