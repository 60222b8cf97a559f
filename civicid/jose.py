"""Keys and compact JWS over jwcrypto, with algorithm allow-lists (RFC 7515/7517/7518, RFC 9864).

Verification never takes the algorithm from the token alone: the header's ``alg`` must be on
the caller's allow-list *and* match the key's type and curve, so ``none`` and HMAC keyed with a
public key are impossible by construction.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto import jwk
from jwcrypto.common import JWException

from civicid.encoding import b64url_encode, parse_json_object, sha256
from civicid.errors import Code, Error, InvalidInput, VerificationError, declare

JWK_INVALID = declare("jwk_invalid", InvalidInput, "not a valid public key")
JWK_PRIVATE_MATERIAL = declare(
    "jwk_private_material", InvalidInput, "a public key carries private members"
)
JWK_UNSUPPORTED = declare("jwk_unsupported", InvalidInput, "the key type is not allowed")
JWS_MALFORMED = declare("jws_malformed", InvalidInput, "not a well-formed compact JWS")
JWS_TOO_LARGE = declare("jws_too_large", InvalidInput, "the compact JWS is too large")
JWS_ALG_FORBIDDEN = declare(
    "jws_alg_forbidden", VerificationError, "the algorithm is not allowed here"
)
JWS_ALG_KEY_MISMATCH = declare(
    "jws_alg_key_mismatch", VerificationError, "the algorithm does not fit the key"
)
JWS_SIGNATURE_INVALID = declare(
    "jws_signature_invalid", VerificationError, "the signature does not verify"
)
JWS_TYP_MISMATCH = declare(
    "jws_typ_mismatch", VerificationError, "the JWS typ is not the expected one"
)
JWS_EMBEDDED_KEY = declare(
    "jws_embedded_key", VerificationError, "the JWS header supplies its own key"
)
JWS_HEADER_FORBIDDEN = declare(
    "jws_header_forbidden", VerificationError, "the JWS header has a parameter we do not accept"
)

# RFC 9864 fully-specified names. "EdDSA" is the polymorphic legacy name: verify-only, opt-in.
KEY_TYPES: Final[dict[str, tuple[str, str]]] = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "Ed25519": ("OKP", "Ed25519"),
    "EdDSA": ("OKP", "Ed25519"),
}
SIGNING_ALGS: Final = ("ES256", "ES384", "Ed25519")
KEY_KINDS: Final = frozenset(KEY_TYPES.values())  # the (kty, crv) pairs a key may be
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
_KEY_CACHE: dict[Hashable, PublicKey] = {}

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
# The signature algorithm objects, made once (immutable; one per verification showed up).
ECDSA_OF: Final = {alg: ec.ECDSA(algorithm) for alg, algorithm in HASHES.items()}
PUBLIC_MEMBERS: Final = ("kty", "crv", "x", "y", "kid", "use", "alg", "key_ops")
# RFC 7638 §3.2 / RFC 8037 §2: the members a thumbprint covers, by key type, in the
# lexicographic order of their names.
THUMBPRINT_MEMBERS: Final = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
# RFC 7517 §4.3: the operations of a signature key pair ("use": "sig").
SIGNATURE_KEY_OPS: Final = frozenset({"sign", "verify"})

VerifyingKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
# A signed header's JSON: as ``json.dumps(header, separators=(",", ":"))``, by one encoder made
# once (``json.dumps`` with options makes a new one per call).
_HEADER_JSON: Final = json.JSONEncoder(separators=(",", ":"))


# base64url to standard base64 for the decoder, and each of "+", "/" and "=" (none of them
# base64url) to "*", which the decoder's strict mode refuses as it does any foreign byte: the
# alphabet is checked by the decoding itself, in C.
_URL_TO_STANDARD: Final = bytes.maketrans(b"-_+/=", b"+/***")
# The padding the strict decoder needs, by the text's length modulo 4 (1 is never base64).
_PADDING: Final = (b"", b"", b"==", b"=")
# Each base64url character's value: the last one's low bits are pad bits where the length
# modulo 4 is 2 (four of them) or 3 (two), and must be zero (RFC 4648 §3.5).
_B64URL_VALUES: Final = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
_PAD_BITS: Final = (0, 0, 0x0F, 0x03)


_STANDARD_TO_URL: Final = bytes.maketrans(b"+/", b"-_")


def _b64url(data: bytes) -> str:
    """As ``b64url_encode``, in three C calls without the base64 module's two Python frames
    (a signature encodes its header, payload and signature)."""
    return (
        binascii.b2a_base64(data, newline=False).translate(_STANDARD_TO_URL).rstrip(b"=").decode()
    )


def canonical_b64url(text: str, code: Code) -> bytes:
    """Strict, canonical base64url (RFC 7515 §2, RFC 4648 §3.5): no padding, the URL-safe
    alphabet only, and zero pad bits, so one value has one encoding and a logged token cannot
    be re-encoded into a second, equally valid leaf. Decoded once in strict mode (every byte in
    the alphabet, the padding this length needs) and the last character's pad bits read, not
    decoded and encoded again to compare."""
    rem = len(text) % 4
    if rem == 1:  # six bits over whole bytes: no byte string encodes to this length
        raise code("not unpadded base64url")
    try:
        data = binascii.a2b_base64(
            text.encode("ascii").translate(_URL_TO_STANDARD) + _PADDING[rem], strict_mode=True
        )
    except (binascii.Error, ValueError) as exc:  # a foreign byte (UnicodeError: non-ASCII)
        raise code("not unpadded base64url") from exc
    if rem and _B64URL_VALUES[text[-1]] & _PAD_BITS[rem]:
        raise code("not canonical base64url (non-zero pad bits)")
    return data


def json_object(data: bytes, code: Code) -> dict[str, Any]:
    """A JSON object without duplicate members (RFC 7515 §5.2), or ``code``."""
    try:
        return parse_json_object(data)
    except Error as exc:
        raise code(exc.message) from exc


def _check_member_types(value: dict[str, Any]) -> None:
    """RFC 7517 §4 / RFC 7518 §6.2.1: every member we read or keep is a string (``key_ops``
    a list of strings); anything else is ``jwk_invalid`` before any member is compared,
    hashed or decoded."""
    for name in ("kty", "crv", "x", "y", "kid", "alg", "use"):
        if name in value and not isinstance(value[name], str):
            raise JWK_INVALID(f"JWK member {name!r} must be a string")
    ops = value.get("key_ops", [])
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
        raise JWK_INVALID("JWK member 'key_ops' must be a list of strings")


def _check_signature_use(value: dict[str, Any]) -> None:
    """RFC 7517 §4.2-4.3: a verification key's use is signing, its operations distinct."""
    if value.get("use", "sig") != "sig":
        raise JWK_INVALID("a verification key's use is 'sig'")
    ops = value.get("key_ops", [])
    if not set(ops) <= SIGNATURE_KEY_OPS or len(set(ops)) != len(ops):
        raise JWK_INVALID(f"key_ops must be distinct values of {sorted(SIGNATURE_KEY_OPS)}")


def der_signature(signature: bytes, size: int) -> bytes:
    """A JWS ECDSA signature, R || S each ``size`` bytes (RFC 7518 §3.4), as the DER
    ECDSA-Sig-Value OpenSSL verifies (RFC 3279 §2.2.3): each integer in its shortest two's
    complement form (X.690 §8.3.2: no leading zero byte unless the next has its high bit set).
    Written directly from the bytes, as ``encode_dss_signature`` of the two integers would
    write it, at a fraction of its cost. For P-256 and P-384 (``size`` at most 48) every length
    is under 128: one length byte each (X.690 §8.1.3.4)."""
    r = signature[:size].lstrip(b"\0") or b"\0"
    s = signature[size:].lstrip(b"\0") or b"\0"
    if r[0] & 0x80:
        r = b"\0" + r
    if s[0] & 0x80:
        s = b"\0" + s
    return b"\x30" + bytes((len(r) + len(s) + 4, 2, len(r))) + r + bytes((2, len(s))) + s


class PublicKey:
    """A public verification key; never holds private material.

    The key object is built once (jwcrypto would rebuild it for every verification); the
    jwcrypto JWK is made only when asked for (thumbprints, interop).
    """

    __slots__ = ("_ecdsa_size", "_json", "_jwk", "_key", "_kty_crv", "_required", "_thumbprint")

    def __init__(self, value: dict[str, Any], key: VerifyingKey) -> None:
        self._json = value
        self._key = key
        self._kty_crv: tuple[str, str] = (value["kty"], value["crv"])  # asked at every check
        # RFC 7638 §3.2's required members, in its order: what the thumbprint hashes, so two
        # keys are the same key exactly when these are equal (compared without hashing).
        self._required: tuple[str, ...] = tuple(
            value[name] for name in THUMBPRINT_MEMBERS[value["kty"]]
        )
        # An ECDSA key's coordinate size (its signatures are twice that), None for Ed25519:
        # known once here, where asking the key's (abstract) class costs more at every check.
        self._ecdsa_size: int | None = (
            None if isinstance(key, ed25519.Ed25519PublicKey) else CURVES[value["crv"]][0]
        )
        self._jwk: jwk.JWK | None = None
        self._thumbprint: str | None = None

    @classmethod
    def from_jwk(cls, value: Any) -> PublicKey:
        if isinstance(value, dict):
            cache_key: Hashable | None
            try:
                # The usual JWK, all strings: its members are key enough, cheaply (equal
                # members, the same key; a valid key's are strings, equal only to strings).
                cache_key = frozenset(value.items())
            except TypeError:  # a member holds a list or an object
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
            raise JWK_INVALID("a JWK must be a JSON object")
        if "d" in value or "p" in value or "k" in value:
            raise JWK_PRIVATE_MATERIAL("a public key must not carry private members")
        _check_member_types(value)
        kty, crv = value.get("kty"), value.get("crv")
        if (kty, crv) not in KEY_KINDS:
            raise JWK_UNSUPPORTED(
                f"key type {kty}/{crv} is not allowed (P-256, P-384, Ed25519)",
            )
        _check_signature_use(value)
        size, curve = CURVES[str(crv)]
        x = canonical_b64url(str(value.get("x", "")), JWK_INVALID)
        try:
            if curve is None:
                if len(x) != size or "y" in value:
                    raise ValueError("Ed25519 keys have a 32-byte x and no y")
                key: VerifyingKey = ed25519.Ed25519PublicKey.from_public_bytes(x)
            else:
                y = canonical_b64url(str(value.get("y", "")), JWK_INVALID)
                if len(x) != size or len(y) != size:
                    raise ValueError(f"{crv} coordinates are {size} bytes")
                # Raises unless the point is on the curve (no invalid-curve attacks): the
                # uncompressed point (SEC 1 §2.3.3) read by OpenSSL, which checks it as
                # EllipticCurvePublicNumbers does, without two integers made first.
                key = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y)
        except ValueError as exc:
            raise JWK_INVALID(f"not a valid {crv} key: {exc}") from exc
        public = {name: value[name] for name in PUBLIC_MEMBERS if name in value}
        return cls(public, key)

    def to_jwk(self) -> dict[str, Any]:
        return dict(self._json)

    @property
    def kty_crv(self) -> tuple[str, str]:
        return self._kty_crv

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint, SHA-256, base64url: the hash of the key's required members
        (§3.2: EC ``crv``, ``kty``, ``x``, ``y``; OKP ``crv``, ``kty``, ``x`` as RFC 8037 §2
        has them), in that order, as compact JSON. Written here from the members ``from_jwk``
        checked (each a string, ``x`` and ``y`` canonical base64url), not by building the
        jwcrypto key, which imports and checks the point again: ~35 µs of a fresh key's
        proof, against ~2 µs."""
        if self._thumbprint is None:
            members = THUMBPRINT_MEMBERS[self._kty_crv[0]]
            required = dict(zip(members, self._required, strict=True))
            self._thumbprint = _b64url(sha256(_HEADER_JSON.encode(required).encode()))
        return self._thumbprint

    def accepts_alg(self, alg: str) -> bool:
        return KEY_TYPES.get(alg) == self._kty_crv

    @property
    def jwcrypto_key(self) -> jwk.JWK:
        if self._jwk is None:
            self._jwk = jwk.JWK(**self._json)
        return self._jwk

    def verify_signature(self, alg: str, data: bytes, signature: bytes) -> None:
        """RFC 7518 §3.4 / RFC 8037 §3.1 signature check; ``alg`` must fit this key."""
        if KEY_TYPES.get(alg) != self._kty_crv:  # as accepts_alg, without a call per check
            raise JWS_ALG_KEY_MISMATCH(f"{alg} does not fit the signer's key")
        size = self._ecdsa_size
        try:
            if size is None:
                self._key.verify(signature, data)  # type: ignore[call-arg]  # Ed25519
                return
            # JWS carries R || S, fixed width; anything else is not a JWS ECDSA signature.
            if len(signature) != 2 * size:
                raise InvalidSignature
            self._key.verify(der_signature(signature, size), data, ECDSA_OF[alg])  # type: ignore[call-arg]  # ECDSA
        except InvalidSignature as exc:
            raise JWS_SIGNATURE_INVALID("signature does not verify") from exc

    def __eq__(self, other: object) -> bool:
        """The same key: equal thumbprints, which are equal exactly when the members they
        hash are (RFC 7638 §3), so those are compared (a fresh key's thumbprint is ~3.5 µs)."""
        return isinstance(other, PublicKey) and self._required == other._required

    def __hash__(self) -> int:
        return hash(self._required)


class PrivateKey:
    """A signing key with its fully-specified algorithm."""

    __slots__ = ("_jwk", "_signer", "alg", "public")

    def __init__(self, key: jwk.JWK, alg: str) -> None:
        if alg not in SIGNING_ALGS:
            raise JWS_ALG_FORBIDDEN(f"{alg} is not a signing algorithm we use")
        self._jwk = key
        self._signer: SigningKey | None = None  # made at the first signature
        self.alg = alg
        self.public = PublicKey.from_jwk(key.export_public(as_dict=True))
        if not self.public.accepts_alg(alg):
            raise JWS_ALG_KEY_MISMATCH(f"{alg} does not fit this key")

    @classmethod
    def generate(cls, alg: str = DEFAULT_ALG) -> PrivateKey:
        if alg not in SIGNING_ALGS:
            raise JWS_ALG_FORBIDDEN(f"{alg} is not a signing algorithm we use")
        kty, crv = KEY_TYPES[alg]
        return cls(jwk.JWK.generate(kty=kty, crv=crv), alg)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> PrivateKey:
        alg = value.get("alg", DEFAULT_ALG) if isinstance(value, dict) else None
        if not isinstance(alg, str):
            raise JWK_INVALID("a stored private key is an object with a string alg")
        try:
            key = jwk.JWK(**value["jwk"])
            if not key.has_private:
                raise JWK_INVALID("stored key has no private part")
            return cls(key, alg)
        except (KeyError, JWException, ValueError, TypeError, AttributeError) as exc:
            raise JWK_INVALID(f"not a stored private key: {exc!r}"[:200]) from exc

    def to_json(self) -> dict[str, Any]:
        return {"alg": self.alg, "jwk": self._jwk.export_private(as_dict=True)}

    @property
    def jwcrypto_key(self) -> jwk.JWK:
        return self._jwk

    def sign_compact(self, payload: bytes, header: dict[str, Any]) -> str:
        """Compact JWS over ``payload``; ``alg`` is always this key's, whatever ``header`` says."""
        return self.compact_signer(header)(payload)

    def compact_signer(self, header: dict[str, Any]) -> Callable[[bytes], str]:
        """``sign_compact`` under one ``header``, its protected part encoded once for every
        payload signed with it (the copies of a batch share their header)."""
        protected = _b64url(_HEADER_JSON.encode({**header, "alg": self.alg}).encode())

        def sign(payload: bytes) -> str:
            signing_input = f"{protected}.{_b64url(payload)}"
            return f"{signing_input}.{_b64url(self._sign(signing_input.encode('ascii')))}"

        return sign

    def _sign(self, data: bytes) -> bytes:
        """RFC 7518 §3.4 (ECDSA: R || S, each its curve's fixed width) or RFC 8037 §3.1
        (Ed25519), as jwcrypto's JWA signs, with the key object made once: at the first
        signature, by jwcrypto's own checks of the key for signing (its use, its key_ops; its
        curve fits ``alg``, checked when this key was made)."""
        signer = self._signer
        if signer is None:
            signer = self._signer = self._jwk.get_op_key("sign")
        if isinstance(signer, ed25519.Ed25519PrivateKey):
            return signer.sign(data)
        r, s = decode_dss_signature(signer.sign(data, ECDSA_OF[self.alg]))
        size = CURVES[KEY_TYPES[self.alg][1]][0]
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")


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
            raise JWS_MALFORMED("a compact JWS must be text")
        if len(token) > max_bytes:
            raise JWS_TOO_LARGE(f"token is over {max_bytes} bytes")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts[:2]) or not parts[2]:
            raise JWS_MALFORMED("a compact JWS has three non-empty parts")
        header = json_object(canonical_b64url(parts[0], JWS_MALFORMED), JWS_MALFORMED)
        payload = canonical_b64url(parts[1], JWS_MALFORMED)
        signature = canonical_b64url(parts[2], JWS_MALFORMED)
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
            raise JWS_MALFORMED("header has no alg")
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
            raise JWS_ALG_FORBIDDEN(f"algorithm {alg!r} is not allowed here")
        for name in (KEY_SUPPLYING_HEADERS | UNSUPPORTED_HEADERS) - allow_headers:
            if name in self.header:
                code = JWS_EMBEDDED_KEY if name in KEY_SUPPLYING_HEADERS else JWS_HEADER_FORBIDDEN
                raise code(f"header parameter {name!r} is not accepted")
        if typ is not None and self.header.get("typ") != typ:
            raise JWS_TYP_MISMATCH(f"typ must be {typ!r}, got {self.header.get('typ')!r}")

    def verify_with(self, key: PublicKey) -> None:
        """Check the signature over the exact bytes received (RFC 7515 §5.2 step 8) with
        ``key``; the header's alg must fit the key (no algorithm confusion)."""
        key.verify_signature(self.alg, self.signing_input, self.signature)

    def payload_json(self, *, code: Code = JWS_MALFORMED) -> dict[str, Any]:
        """The payload as a JSON object (no duplicate members), or ``code``."""
        return json_object(self.payload, code)


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
