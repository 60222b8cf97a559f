"""Making SD-JWTs: the issuer's SD-JWT VC (RFC 9901 §4-5) and the holder's presentation with a
Key Binding JWT (§4.3, §7.2), plus the unverified views a wallet shows before it chooses.
"""

from __future__ import annotations

import binascii
import hashlib
import json.encoder as json_encoder
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from civicid.errors import InvalidInput, declare
from civicid.jose import PrivateKey, PublicKey
from civicid.sdjwt_format import (
    ARRAY_KEY,
    KB_JWT_TYP,
    MAX_DEPTH,
    NOT_DISCLOSABLE,
    RESERVED_NAMES,
    SALT_BYTES,
    SD_ALG,
    SD_ALG_KEY,
    SD_JWT_VC_TYP,
    SD_KEY,
    SDJWT_CLAIM_NAME_RESERVED,
    SDJWT_CLAIM_NOT_DISCLOSABLE,
    SDJWT_CLAIMS_INVALID,
    SDJWT_MALFORMED,
    SDJWT_TOO_DEEP,
    ClaimPath,
    Disclosure,
    Placed,
    Processed,
    base64url,
    digest_of,
    dumps_compact,
    parse,
    process,
)

KB_CLAIMS_MISSING = declare(
    "kb_claims_missing", InvalidInput, "a Key Binding JWT needs nonce, aud and iat"
)
KB_KEY_MISMATCH = declare(
    "kb_key_mismatch", InvalidInput, "the holder key is not the credential's cnf key"
)
SDJWT_DECOYS_INVALID = declare("sdjwt_decoys_invalid", InvalidInput, "decoys must not be negative")
SDJWT_PATH_INVALID = declare("sdjwt_path_invalid", InvalidInput, "not a claim path")
SDJWT_PATH_NOT_FOUND = declare(
    "sdjwt_path_not_found", InvalidInput, "the credential has no claim at this path"
)

# The registered claims `issue` sets from its own arguments; claims may not carry them too.
_REGISTERED: Final = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status"})


def check_path(path: Iterable[Any]) -> ClaimPath:
    """A claim path as DCQL writes it: names, non-negative indexes, or None (every element)."""
    try:
        parts = tuple(path)
    except TypeError as exc:
        raise SDJWT_PATH_INVALID(f"{path!r} is not a sequence") from exc
    if not parts or isinstance(path, str):
        raise SDJWT_PATH_INVALID("a claim path is a non-empty sequence of names and indexes")
    for part in parts:
        if part is None or isinstance(part, str):
            continue
        if type(part) is not int or part < 0:
            raise SDJWT_PATH_INVALID(f"{part!r} is not a name, an index or None")
    return parts


def matches(pattern: ClaimPath, path: ClaimPath) -> bool:
    """Whether the concrete ``path`` and ``pattern`` agree on every level both have."""
    for want, have in zip(pattern, path, strict=False):
        if want is None:
            if type(have) is not int:
                return False
        elif want != have or type(want) is not type(have):
            return False
    return True


def expand(claims: Any, pattern: ClaimPath, prefix: ClaimPath = ()) -> Iterator[ClaimPath]:
    """Every concrete path in ``claims`` that ``pattern`` selects."""
    if not pattern:
        yield prefix
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(head, str):
        if isinstance(claims, dict) and head in claims:
            yield from expand(claims[head], rest, (*prefix, head))
    elif isinstance(claims, list):
        indexes = range(len(claims)) if head is None else [head] if head < len(claims) else []
        for index in indexes:
            yield from expand(claims[index], rest, (*prefix, index))


# Salts drawn from the random source at once, then handed out in slices: one call (a system
# call, for the default source) per this many Disclosures and decoys, not one each. A national
# ID's 15 claims and their decoys fit in one draw.
SALTS_PER_DRAW: Final = 32
_TO_URL: Final = bytes.maketrans(b"+/", b"-_")
# ``dumps_compact``'s encoder (compact, UTF-8, no NaN), made once: ``JSONEncoder.encode`` makes
# a new one for every value it encodes, which costs more than encoding a Disclosure's few bytes.
# No check for circular values is needed: ``_Encoder.encode`` walks every value first, and
# stops at MAX_DEPTH.
_MAKE_ENCODER: Final = getattr(json_encoder, "c_make_encoder", None)  # None without the C module
_C_ENCODER: Final = (
    _MAKE_ENCODER(
        None,
        json_encoder.JSONEncoder().default,  # a value JSON has no form for: a TypeError
        json_encoder.encode_basestring,  # UTF-8 out, not ASCII escapes (ensure_ascii=False)
        None,
        ":",
        ",",
        False,
        False,
        False,  # no NaN or infinity
    )
    if _MAKE_ENCODER is not None
    else None
)


def _compact(value: Any) -> bytes:
    """As ``dumps_compact``: compact UTF-8 JSON of a Disclosure's array, byte for byte."""
    if _C_ENCODER is None:
        return dumps_compact(value)
    try:
        return "".join(_C_ENCODER(value, 0)).encode()
    except (TypeError, ValueError) as exc:  # a set, a NaN, a lone surrogate...
        raise SDJWT_CLAIMS_INVALID(f"not JSON: {exc}") from exc


class _Encoder:
    """Turns claims into an SD-JWT payload, making a Disclosure per disclosable path.

    A Disclosure is made here directly (salt, JSON, base64url, digest) rather than through
    ``Disclosure.make``: the same bytes, without the parsed view the issuer never reads."""

    def __init__(self, patterns: list[ClaimPath], decoys: int, rng: Callable[[int], bytes]) -> None:
        # Concrete paths are looked up; only paths with a None (every element) are matched.
        self.exact = {p for p in patterns if None not in p}
        self.wildcards = [p for p in patterns if None in p]
        self.decoys = decoys
        self.rng = rng
        self.disclosures: list[str] = []
        self._pool = b""
        self._used = 0

    def _disclosable(self, path: ClaimPath) -> bool:
        if path in self.exact:
            return True
        return any(len(p) == len(path) and matches(p, path) for p in self.wildcards)

    def _random(self) -> bytes:
        """SALT_BYTES fresh random bytes (a slice of the last draw)."""
        if self._used + SALT_BYTES > len(self._pool):
            self._pool, self._used = self.rng(SALT_BYTES * SALTS_PER_DRAW), 0
        start = self._used
        self._used = start + SALT_BYTES
        return self._pool[start : self._used]

    def _disclose(self, name: str | None, value: Any) -> str:
        # base64url written out (``base64url`` is the same steps): three per Disclosure.
        to_b64 = binascii.b2a_base64
        salt = to_b64(self._random(), newline=False).translate(_TO_URL).rstrip(b"=").decode()
        item = [salt, value] if name is None else [salt, name, value]
        text = to_b64(_compact(item), newline=False).translate(_TO_URL).rstrip(b"=")
        self.disclosures.append(text.decode())
        digest = hashlib.sha256(text).digest()  # RFC 9901 §4.2.3: over the text as sent
        return to_b64(digest, newline=False).translate(_TO_URL).rstrip(b"=").decode()

    def _decoy(self) -> str:
        # RFC 9901 §4.2.5: a decoy is the digest of a random value, not of any Disclosure.
        return base64url(hashlib.sha256(self._random()).digest())

    def encode(self, value: Any, path: ClaimPath, depth: int) -> Any:
        # Objects and arrays count, as the verifier counts them (sdjwt_format._Walk).
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise SDJWT_TOO_DEEP(f"claims nest deeper than {MAX_DEPTH}")
        if isinstance(value, dict):
            clear: dict[str, Any] = {}
            digests: list[str] = []
            for name, item in value.items():
                if not isinstance(name, str):
                    raise SDJWT_CLAIMS_INVALID(f"claim name {name!r} is not a string")
                if name in RESERVED_NAMES:
                    raise SDJWT_CLAIM_NAME_RESERVED(f"claim name {name!r} is reserved")
                here = (*path, name)
                encoded = (
                    self.encode(item, here, depth + 1) if isinstance(item, dict | list) else item
                )
                if self._disclosable(here):
                    digests.append(self._disclose(name, encoded))
                else:
                    clear[name] = encoded
            if digests:
                digests += [self._decoy() for _ in range(self.decoys)]
                # §4.2.4.1: sorted, so the order says nothing about the claims' original order.
                clear[SD_KEY] = sorted(digests)
            return clear
        if isinstance(value, list):
            out: list[Any] = []
            for index, item in enumerate(value):
                here = (*path, index)
                encoded = (
                    self.encode(item, here, depth + 1) if isinstance(item, dict | list) else item
                )
                if self._disclosable(here):
                    out.append({ARRAY_KEY: self._disclose(None, encoded)})
                else:
                    out.append(encoded)
            return out
        return value


def issue(
    *,
    issuer_key: PrivateKey,
    kid: str,
    iss: str,
    claims: dict[str, Any],
    disclosable: Iterable[ClaimPath],
    iat: int,
    vct: str | None = None,
    exp: int | None = None,
    nbf: int | None = None,
    cnf_jwk: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    decoys: int = 2,
    typ: str = SD_JWT_VC_TYP,
    extra_header: dict[str, Any] | None = None,
    rng: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """An SD-JWT ``<issuer-jwt>~<disclosure>~...~``: ``claims`` with a Disclosure for every path
    in ``disclosable`` (None in a path = every element), ``decoys`` decoy digests in each object
    that has Disclosures. ``iss``, ``iat``, ``nbf``, ``exp``, ``vct``, ``cnf``, ``status`` are
    always in the clear (pitfall 9). Paths that name no claim are ignored, so one list (from the
    type's metadata) serves every record."""
    if not isinstance(claims, dict):
        raise SDJWT_CLAIMS_INVALID("claims are a JSON object")
    for name, date in (("iat", iat), ("exp", exp), ("nbf", nbf)):
        if date is not None and type(date) is not int:
            raise SDJWT_CLAIMS_INVALID(f"{name} is a NumericDate integer")
    patterns = [check_path(p) for p in disclosable]
    for pattern in patterns:
        if pattern[0] in NOT_DISCLOSABLE:
            raise SDJWT_CLAIM_NOT_DISCLOSABLE(f"{pattern[0]!r} must stay in the clear")
    for name in claims:
        if name in _REGISTERED:
            raise SDJWT_CLAIM_NAME_RESERVED(f"{name!r} is set by its own argument, not in claims")
    if decoys < 0:
        raise SDJWT_DECOYS_INVALID(f"decoys={decoys}")
    encoder = _Encoder(patterns, decoys, rng)
    body = encoder.encode(claims, (), 1)
    payload: dict[str, Any] = {"iss": iss, "iat": iat}
    for name, value in (("nbf", nbf), ("exp", exp), ("vct", vct), ("status", status)):
        if value is not None:
            payload[name] = value
    if cnf_jwk is not None:
        payload["cnf"] = {"jwk": PublicKey.from_jwk(cnf_jwk).to_jwk()}
    payload.update(body)
    payload[SD_ALG_KEY] = SD_ALG
    header = {**(extra_header or {}), "typ": typ, "kid": kid}
    jwt = issuer_key.sign_compact(dumps_compact(payload), header)
    return "~".join([jwt, *encoder.disclosures, ""])


def _select(processed: Processed, disclose: Iterable[ClaimPath]) -> set[str]:
    """The Disclosures a set of paths needs: each selected claim's own, those beneath it, and
    those of its ancestors (RFC 9901 §7.2 step 2: a nested Disclosure needs its parent's)."""
    chosen: set[str] = set()
    for raw in disclose:
        pattern = check_path(raw)
        targets = list(expand(processed.claims, pattern))
        if not targets:
            raise SDJWT_PATH_NOT_FOUND(f"no claim at {list(pattern)!r}")
        for placed in processed.placed:
            if any(matches(target, placed.path) for target in targets):
                chosen.add(placed.disclosure.text)
    return chosen


def present(
    sd_jwt: str,
    *,
    disclose: Iterable[ClaimPath],
    holder_key: PrivateKey | None,
    nonce: str | None = None,
    aud: str | None = None,
    iat: int | None = None,
) -> str:
    """The SD-JWT with only the Disclosures ``disclose`` needs; with ``holder_key``, an SD-JWT+KB
    whose ``sd_hash`` covers the issuer JWT and those Disclosures up to the last ``~`` (§4.3.1)."""
    parsed = parse(sd_jwt)
    if parsed.kb_jwt is not None:  # §7.2: a holder is given an SD-JWT, never an SD-JWT+KB
        raise SDJWT_MALFORMED("already a presentation with a Key Binding JWT")
    processed = process(parsed.payload, [Disclosure.parse(d) for d in parsed.disclosures])
    chosen = _select(processed, disclose)
    kept = [d for d in parsed.disclosures if d in chosen]
    presentation = "~".join([parsed.issuer_jwt, *kept, ""])
    if holder_key is None:
        return presentation
    if nonce is None or aud is None or iat is None:  # §4.3: all three are REQUIRED
        raise KB_CLAIMS_MISSING("a Key Binding JWT needs nonce, aud and iat")
    cnf = parsed.payload.get("cnf")
    bound = cnf.get("jwk") if isinstance(cnf, dict) else None
    if bound is not None and PublicKey.from_jwk(bound) != holder_key.public:
        raise KB_KEY_MISMATCH("the credential is bound to another key")
    kb_payload = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": digest_of(presentation)}
    return presentation + holder_key.sign_compact(dumps_compact(kb_payload), {"typ": KB_JWT_TYP})


@dataclass(frozen=True, slots=True)
class Decoded:
    """An SD-JWT read without checking its signature: for a wallet to display, never to trust."""

    header: dict[str, Any]
    payload: dict[str, Any]  # as signed, digests included
    claims: dict[str, Any]  # processed: every Disclosure sent, in place
    disclosures: tuple[Placed, ...]
    kb_jwt: str | None


def decode_unverified(sd_jwt: str) -> Decoded:
    parsed = parse(sd_jwt)
    processed = process(parsed.payload, [Disclosure.parse(d) for d in parsed.disclosures])
    return Decoded(
        header=parsed.jws.header,
        payload=parsed.payload,
        claims=processed.claims,
        disclosures=processed.placed,
        kb_jwt=parsed.kb_jwt,
    )


def disclosable_paths(sd_jwt: str) -> list[ClaimPath]:
    """The paths a holder could disclose or withhold, in payload order (array indexes count the
    elements of the fully disclosed array)."""
    return [placed.path for placed in decode_unverified(sd_jwt).disclosures]
