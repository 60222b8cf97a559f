"""The SD-JWT wire format (RFC 9901 §4, §7.1 step 3): its limits and error codes, the compact
serialization, Disclosures, and the processing of embedded digests into the claims they reveal.

Shared by the issuing, presenting and verifying halves of ``civicid.sdjwt``; nothing here checks a
signature.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pybase64

from civicid.errors import Code, InvalidInput, TooLarge, VerificationError, declare
from civicid.jose import CompactJWS

SD_JWT_VC_TYP: Final = "dc+sd-jwt"  # SD-JWT VC §2.2.1
KB_JWT_TYP: Final = "kb+jwt"  # RFC 9901 §4.3
SD_ALG: Final = "sha-256"  # RFC 9901 §4.1.1: the one hash we issue and accept
SD_KEY: Final = "_sd"
SD_ALG_KEY: Final = "_sd_alg"
ARRAY_KEY: Final = "..."
SEPARATOR: Final = "~"

# DCQL-style claim path (OpenID4VP §7): a name per object level, an index per array level, or
# None for "every element of this array".
ClaimPath = tuple[str | int | None, ...]

# 512 KiB: the largest credential we expect (an EU PID with a ~60 KB data-URI portrait and every
# claim disclosed) several times over, and small enough that hashing and parsing stay cheap.
MAX_PRESENTATION_BYTES: Final = 512 * 1024

# The richest official example (SD-JWT VC A.1, the PID) has 29 Disclosures; 1,024 bounds the
# hashing and lookup work an attacker can ask for per presentation.
MAX_DISCLOSURES: Final = 1024

# Objects and arrays nested inside each other, Disclosure values included. The deepest official
# example nests 5; 32 leaves room and keeps our recursion far from Python's stack limit.
MAX_DEPTH: Final = 32

# RFC 9901 §4.2.1: at least 128 bits of salt, so a Disclosure's digest cannot be brute-forced.
SALT_BYTES: Final = 16

# SD-JWT VC §2.2.2.3 and pitfall 9: these claims, sub-claims included, are always in the clear.
# (`iat` MAY be disclosable by the draft; we keep it in the clear so validity is always visible.)
NOT_DISCLOSABLE: Final = frozenset(
    {"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)
# RFC 9901 §7.1 step 3.3.2.2: a Disclosure named `_sd` or `...` is refused; `_sd_alg` too, as
# nothing but the issuer may say which hash the digests use.
RESERVED_NAMES: Final = frozenset({SD_KEY, ARRAY_KEY, SD_ALG_KEY})
# SD-JWT VC §2.2.2: set by the issuer itself, never taken from an agency's record or a rule.
RESERVED_CLAIMS: Final = frozenset(
    {"iss", "iat", "exp", "nbf", "vct", "vct#integrity", "cnf", "status"} | RESERVED_NAMES
)

SDJWT_MALFORMED = declare("sdjwt_malformed", InvalidInput, "not an SD-JWT in compact form")
SDJWT_TOO_LARGE = declare("sdjwt_too_large", TooLarge, "the SD-JWT is over the size limits")
SDJWT_CLAIMS_INVALID = declare("sdjwt_claims_invalid", InvalidInput, "claims to issue must be JSON")
SDJWT_TOO_DEEP = declare("sdjwt_too_deep", InvalidInput, "the claims nest too deeply")
SDJWT_TYP_INVALID = declare("sdjwt_typ_invalid", VerificationError, "wrong typ header")
SDJWT_ALG_NOT_ALLOWED = declare(
    "sdjwt_alg_not_allowed", VerificationError, "signature algorithm not allowed for this key"
)
SDJWT_HEADER_FORBIDDEN = declare(
    "sdjwt_header_forbidden", VerificationError, "a header parameter that is not accepted"
)
SDJWT_SIGNATURE_INVALID = declare(
    "sdjwt_signature_invalid", VerificationError, "the issuer's signature does not verify"
)
SDJWT_SD_ALG_UNSUPPORTED = declare(
    "sdjwt_sd_alg_unsupported", VerificationError, "_sd_alg is not sha-256"
)
SDJWT_DISCLOSURE_MALFORMED = declare(
    "sdjwt_disclosure_malformed", InvalidInput, "a Disclosure is not well formed"
)
SDJWT_DIGEST_DUPLICATE = declare(
    "sdjwt_digest_duplicate", VerificationError, "a digest appears more than once"
)
SDJWT_DISCLOSURE_DUPLICATE = declare(
    "sdjwt_disclosure_duplicate", VerificationError, "a Disclosure is sent more than once"
)
SDJWT_DISCLOSURE_UNREFERENCED = declare(
    "sdjwt_disclosure_unreferenced", VerificationError, "a Disclosure no digest refers to"
)
SDJWT_CLAIM_OVERWRITE = declare(
    "sdjwt_claim_overwrite", VerificationError, "a Disclosure names a claim that already exists"
)
SDJWT_CLAIM_NAME_RESERVED = declare(
    "sdjwt_claim_name_reserved", VerificationError, "a claim uses a name SD-JWT reserves"
)
SDJWT_CLAIM_NOT_DISCLOSABLE = declare(
    "sdjwt_claim_not_disclosable", VerificationError, "a claim that must stay in the clear"
)
_B64_VALUES: Final = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
# base64url to standard base64 for the decoder, and every character that is not base64url
# ("+", "/", "=") to "*", which the decoder's strict mode refuses as it does any other
# foreign byte: the alphabet is checked by the decoding itself, in C.
_URL_TO_STANDARD: Final = bytes.maketrans(b"-_+/=", b"+/***")
# The padding the strict decoder needs, by the text's length modulo 4 (1 is never base64).
_PADDING: Final = (b"", b"", b"==", b"=")
_TEXT_PADDING: Final = ("", "", "==", "=")
# From this length on, pybase64's vector decoder (~0.7 ns a character) beats binascii's
# (~2.3 ns a character, but a cheaper call): an issuer JWT's payload, not its signature.
SIMD_FROM_CHARS: Final = 256


def b64url_decode_strict(text: str, code: Code = SDJWT_MALFORMED) -> bytes:
    """Unpadded base64url in its one canonical spelling: no padding, no foreign characters, and
    zero bits after the last byte (else one value would have several spellings, RFC 4648 §3.5)."""
    rem = len(text) % 4
    if rem == 1:
        raise code("not canonical unpadded base64url")
    try:
        if len(text) > SIMD_FROM_CHARS:
            # pybase64 checks the alphabet it is given, but given the URL-safe one it also
            # takes "+" and "/": those, and padding, are refused here first.
            if "+" in text or "/" in text or "=" in text:
                raise code("not canonical unpadded base64url")
            data = pybase64.b64decode(text + _TEXT_PADDING[rem], altchars=b"-_", validate=True)
        else:
            data = binascii.a2b_base64(
                text.encode().translate(_URL_TO_STANDARD) + _PADDING[rem], strict_mode=True
            )
    except (binascii.Error, ValueError) as exc:  # a foreign byte; a lone surrogate
        raise code("not canonical unpadded base64url") from exc
    if rem and _B64_VALUES[text[-1]] & (0x0F if rem == 2 else 0x03):
        raise code("not canonical unpadded base64url")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member name")
    return obj


# NaN, Infinity and -Infinity are not JSON (RFC 8259 §6): looking them up here raises KeyError.
_NO_CONSTANTS: Final[dict[str, float]] = {}
# One decoder for every parse: json.loads with hooks would build a new one each call.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_NO_CONSTANTS.__getitem__
)
# Its scanner, called directly for text with no whitespace around the value (every token we
# make, and most others); ``decode`` takes the rest, and says what is wrong with bad input.
# (The scanner is a documented-in-code attribute the stubs do not declare.)
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _DECODER.scan_once  # type: ignore[attr-defined]


def loads_strict(data: bytes | str, code: Code) -> Any:
    """RFC 8259 JSON in UTF-8 (§8.1: no lone surrogates, which json.loads would let through from
    bytes), with no duplicate names (RFC 7515 §5.2) and no NaN/Infinity."""
    try:
        if isinstance(data, bytes):
            data = data.decode()  # UTF-8, strictly
        try:
            value, end = _SCAN(data, 0)
        except StopIteration:  # no value at 0: whitespace first, or not JSON
            return _DECODER.decode(data)
        return value if end == len(data) else _DECODER.decode(data)
    except RecursionError as exc:
        raise SDJWT_TOO_DEEP("JSON nests too deeply") from exc
    except (ValueError, KeyError) as exc:  # UnicodeDecodeError is a ValueError
        raise code(f"not valid JSON: {exc}") from exc


_STANDARD_TO_URL: Final = bytes.maketrans(b"+/", b"-_")


def digest_of(text: str) -> str:
    """RFC 9901 §4.2.3 / §4.3.1: base64url SHA-256 over the ASCII text as sent."""
    digest = hashlib.sha256(text.encode()).digest()  # ASCII: base64url, '.', '~'
    # 32 bytes are 43 base64 characters and one "=" of padding.
    return binascii.b2a_base64(digest, newline=False).translate(_STANDARD_TO_URL)[:43].decode()


_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def base64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    encoded = binascii.b2a_base64(data, newline=False).translate(_STANDARD_TO_URL)
    return encoded.rstrip(b"=").decode()


def dumps_compact(value: Any) -> bytes:
    """Compact UTF-8 JSON; any serialization is fine, the digest is over the text as sent."""
    try:
        return _ENCODER.encode(value).encode()
    except (TypeError, ValueError) as exc:  # a set, a NaN, a lone surrogate...
        raise SDJWT_CLAIMS_INVALID(f"not JSON: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One Disclosure (RFC 9901 §4.2): ``[salt, name, value]`` for an object property,
    ``[salt, value]`` for an array element (then ``name`` is None)."""

    text: str
    digest: str
    salt: str
    name: str | None
    value: Any

    @classmethod
    def parse(cls, text: str) -> Disclosure:
        if not text:
            raise SDJWT_DISCLOSURE_MALFORMED("an empty Disclosure")
        raw = b64url_decode_strict(text, SDJWT_DISCLOSURE_MALFORMED)
        item = loads_strict(raw, SDJWT_DISCLOSURE_MALFORMED)
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise SDJWT_DISCLOSURE_MALFORMED("a Disclosure is a JSON array of 2 or 3 elements")
        if not isinstance(item[0], str):
            raise SDJWT_DISCLOSURE_MALFORMED("a Disclosure's salt is a string")
        name = item[1] if len(item) == 3 else None
        if len(item) == 3 and not isinstance(name, str):
            raise SDJWT_DISCLOSURE_MALFORMED("a Disclosure's claim name is a string")
        return cls(text, digest_of(text), item[0], name, item[-1])

    @classmethod
    def make(cls, salt: str, name: str | None, value: Any) -> Disclosure:
        item = [salt, value] if name is None else [salt, name, value]
        text = base64url(dumps_compact(item))
        return cls(text=text, digest=digest_of(text), salt=salt, name=name, value=value)


@dataclass(frozen=True, slots=True)
class Presentation:
    """An SD-JWT or SD-JWT+KB split at its ``~`` (RFC 9901 §4, §7.1 step 1); nothing verified."""

    text: str
    jws: CompactJWS  # the issuer-signed JWT
    payload: dict[str, Any]  # its payload, as signed: _sd digests, not yet processed
    disclosures: tuple[str, ...]
    kb_jwt: str | None

    @property
    def issuer_jwt(self) -> str:
        return self.jws.text

    @property
    def sd_jwt(self) -> str:
        """Everything up to and including the last ``~``: what ``sd_hash`` covers (§4.3.1)."""
        return self.text if self.kb_jwt is None else self.text[: -len(self.kb_jwt)]


# A JWS header's text is the same in every credential one issuer key signs, and in every key
# binding one wallet algorithm makes: a header read is kept by its exact text (the same text
# is the same JSON) when its members are all strings (typ, alg, kid), so that the copy each
# caller gets to check is whole. Up to this many headers, then the memory starts over:
# nothing is lost but the time to read one again.
MAX_KEPT_HEADERS: Final = 1024
# Longest header text kept: ours are ~100 characters; 1,024 kept headers of this size are
# at most a few MiB, where a header that carried a certificate chain could be far larger.
MAX_KEPT_HEADER_CHARS: Final = 1024
_HEADERS: dict[str, dict[str, Any]] = {}


def _header(text: str, code: Code) -> dict[str, Any]:
    """A JWS header's JSON object, from its base64url text, or ``code``."""
    kept = _HEADERS.get(text)
    if kept is None:
        kept = loads_strict(b64url_decode_strict(text, code), code)
        if not isinstance(kept, dict):
            raise code("a JWT header is a JSON object")
        if len(text) <= MAX_KEPT_HEADER_CHARS and all(type(v) is str for v in kept.values()):
            if len(_HEADERS) >= MAX_KEPT_HEADERS:
                _HEADERS.clear()
            _HEADERS[text] = kept
    return dict(kept)  # the kept one is never handed out: a caller may change its own


def split_jws(token: str, code: Code) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """A compact JWS's header, payload, signing input and signature, decoded (``code`` if it
    is not well formed); nothing verified."""
    parts = token.split(".")
    # An empty signature is let through, so that `alg: none` is refused by name at the alg check
    # (and could never verify anyway); an empty header or payload fails as JSON.
    if len(parts) != 3:
        raise code("a JWT has three dot-separated parts")
    head, body, signature = parts
    return (
        _header(head, code),
        b64url_decode_strict(body, code),
        f"{head}.{body}".encode(),
        b64url_decode_strict(signature, code),
    )


def parse_jws(token: str, code: Code) -> CompactJWS:
    return CompactJWS(*split_jws(token, code), token)


def parse(presentation: str) -> Presentation:
    """Step 1: split ``<issuer-jwt>~<disclosure>~...~[<kb-jwt>]`` and decode the issuer JWT."""
    if not isinstance(presentation, str):
        raise SDJWT_MALFORMED("an SD-JWT is text")
    if len(presentation) > MAX_PRESENTATION_BYTES:
        raise SDJWT_TOO_LARGE(f"over {MAX_PRESENTATION_BYTES} bytes")
    parts = presentation.split(SEPARATOR)
    if len(parts) < 2:
        raise SDJWT_MALFORMED("an SD-JWT ends with '~' (RFC 9901 §4)")
    if len(parts) - 2 > MAX_DISCLOSURES:
        raise SDJWT_TOO_LARGE(f"more than {MAX_DISCLOSURES} Disclosures")
    disclosures = tuple(parts[1:-1])
    if "" in disclosures:
        raise SDJWT_MALFORMED("an empty Disclosure between two '~'")
    jws = parse_jws(parts[0], SDJWT_MALFORMED)
    payload = loads_strict(jws.payload, SDJWT_MALFORMED)
    if not isinstance(payload, dict):
        raise SDJWT_MALFORMED("the issuer JWT's payload is a JSON object")
    return Presentation(presentation, jws, payload, disclosures, parts[-1] or None)


@dataclass(frozen=True, slots=True)
class Placed:
    """A Disclosure and where its claim landed in the processed payload."""

    path: ClaimPath
    disclosure: Disclosure


@dataclass(frozen=True, slots=True)
class Processed:
    """RFC 9901 §7.1 step 3's result: the claims, and every Disclosure used with the path its
    claim landed at, in payload order (``paths[i]`` is ``disclosures[i]``'s)."""

    claims: dict[str, Any]
    paths: tuple[ClaimPath, ...]
    disclosures: tuple[Disclosure, ...]

    @property
    def placed(self) -> tuple[Placed, ...]:
        return tuple(map(Placed, self.paths, self.disclosures))


class _Walk:
    """One pass over the payload replacing digests by Disclosures (§7.1 steps 3-5).

    The hot loops below look each digest up and place each Disclosure in line, rather than
    through a method per digest: a presentation's walk is one of the larger costs of its
    checks after the two signatures."""

    __slots__ = ("by_digest", "paths", "seen", "used")

    def __init__(self, by_digest: dict[str, Disclosure]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.paths: list[ClaimPath] = []  # where each Disclosure used placed its claim
        self.used: list[Disclosure] = []  # in the same order

    def value(self, value: Any, path: ClaimPath, depth: int) -> Any:
        if isinstance(value, dict):
            return self.object(value, path, depth + 1)
        if isinstance(value, list):
            return self.array(value, path, depth + 1)
        return value

    def _use(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise SDJWT_MALFORMED("a digest is a string")
        # §7.1 step 4: a digest met twice (directly or via Disclosures) rejects the SD-JWT.
        seen = self.seen
        if digest in seen:
            raise SDJWT_DIGEST_DUPLICATE(f"digest {digest} appears twice")
        seen.add(digest)
        return self.by_digest.get(digest)  # step 3.3.1: no Disclosure -> a decoy or withheld

    def _place(self, path: ClaimPath, disclosure: Disclosure) -> None:
        # SD-JWT VC §2.2.2.3 / pitfall 9: registered claims and their sub-claims stay in clear.
        if path[0] in NOT_DISCLOSABLE:
            raise SDJWT_CLAIM_NOT_DISCLOSABLE(f"{path[0]!r} must not be selectively disclosed")
        self.paths.append(path)
        self.used.append(disclosure)

    def object(self, obj: dict[str, Any], path: ClaimPath, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise SDJWT_TOO_DEEP(f"claims nest deeper than {MAX_DEPTH}")
        top = not path
        # A scalar is kept as it is: only objects and arrays are walked (and need a path).
        out: dict[str, Any] = {}
        for member, value in obj.items():
            if member == SD_KEY or (top and member == SD_ALG_KEY):
                continue
            if isinstance(value, dict):
                value = self.object(value, (*path, member), depth + 1)
            elif isinstance(value, list):
                value = self.array(value, (*path, member), depth + 1)
            out[member] = value
        if not top and SD_ALG_KEY in obj:
            raise SDJWT_CLAIM_NAME_RESERVED("_sd_alg belongs at the top level only (§4.1.1)")
        digests = obj.get(SD_KEY)
        if digests is None:
            return out
        if not isinstance(digests, list):
            raise SDJWT_MALFORMED("_sd is an array of digests")
        seen, by_digest, paths, used = self.seen, self.by_digest, self.paths, self.used
        for digest in digests:
            if not isinstance(digest, str):
                raise SDJWT_MALFORMED("a digest is a string")
            # §7.1 step 4: a digest met twice (directly or via Disclosures) rejects the SD-JWT.
            if digest in seen:
                raise SDJWT_DIGEST_DUPLICATE(f"digest {digest} appears twice")
            seen.add(digest)
            disclosure = by_digest.get(digest)
            if disclosure is None:
                continue  # step 3.3.1: no Disclosure -> a decoy or withheld
            name = disclosure.name
            if name is None:  # §7.1 step 3.3.2.1
                raise SDJWT_DISCLOSURE_MALFORMED("an array-element Disclosure referenced by _sd")
            if name in RESERVED_NAMES:  # §7.1 step 3.3.2.2, pitfall 6
                raise SDJWT_CLAIM_NAME_RESERVED(f"a Disclosure named {name!r}")
            if name in out:  # §7.1 step 3.3.2.3, pitfall 6
                raise SDJWT_CLAIM_OVERWRITE(f"a Disclosure for {name!r}, which already exists")
            # SD-JWT VC §2.2.2.3 / pitfall 9: registered claims and their sub-claims stay in
            # clear (``top``: the claim is named here; else its top-level claim is path[0]).
            if (name if top else path[0]) in NOT_DISCLOSABLE:
                raise SDJWT_CLAIM_NOT_DISCLOSABLE(
                    f"{name if top else path[0]!r} must not be selectively disclosed"
                )
            claim_path = (*path, name)
            paths.append(claim_path)
            used.append(disclosure)
            value = disclosure.value
            if isinstance(value, dict):
                value = self.object(value, claim_path, depth + 1)
            elif isinstance(value, list):
                value = self.array(value, claim_path, depth + 1)
            out[name] = value
        return out

    def array(self, items: list[Any], path: ClaimPath, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            raise SDJWT_TOO_DEEP(f"claims nest deeper than {MAX_DEPTH}")
        out: list[Any] = []
        for item in items:
            # §7.1 step 3.2.2: an element {"...": "<digest>"} stands for a Disclosure.
            if isinstance(item, dict) and len(item) == 1 and ARRAY_KEY in item:
                disclosure = self._use(item[ARRAY_KEY])
                if disclosure is None:
                    continue  # step 3.4: elements with no Disclosure are removed
                if disclosure.name is not None:  # step 3.3.3.1
                    raise SDJWT_DISCLOSURE_MALFORMED("an object-property Disclosure in an array")
                element_path = (*path, len(out))
                self._place(element_path, disclosure)
                out.append(self.value(disclosure.value, element_path, depth))
            else:
                out.append(self.value(item, (*path, len(out)), depth))
        return out


def process(payload: dict[str, Any], disclosures: Sequence[Disclosure]) -> Processed:
    """RFC 9901 §7.1 steps 2.4 and 3-5 over an issuer-signed payload."""
    # Step 2.4: the hash must be understood and secure; absent means sha-256 (§4.1.1).
    sd_alg = payload.get(SD_ALG_KEY, SD_ALG)
    if sd_alg != SD_ALG:
        raise SDJWT_SD_ALG_UNSUPPORTED(f"_sd_alg {sd_alg!r} is not {SD_ALG}")
    by_digest = {disclosure.digest: disclosure for disclosure in disclosures}
    if len(by_digest) != len(disclosures):  # pitfall 5: two with one digest, the same one
        raise SDJWT_DISCLOSURE_DUPLICATE("the same Disclosure is sent twice")
    walk = _Walk(by_digest)
    claims = walk.object(payload, (), 1)
    # Step 5: every Disclosure must be referenced, directly or through another Disclosure.
    if len(walk.used) != len(by_digest):
        raise SDJWT_DISCLOSURE_UNREFERENCED(
            f"{len(by_digest) - len(walk.used)} Disclosure(s) match no digest"
        )
    return Processed(claims, tuple(walk.paths), tuple(walk.used))
