"""Making SD-JWTs: the issuer's SD-JWT VC (RFC 9901 §4-5) and the holder's presentation with a
Key Binding JWT (§4.3, §7.2), plus the unverified views a wallet shows before it chooses.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import json.encoder as json_encoder
import secrets
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from civicid.errors import Error, InvalidInput, declare
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
    except (TypeError, ValueError, RecursionError) as exc:  # a set, a NaN, a cycle...
        raise SDJWT_CLAIMS_INVALID(f"not JSON: {exc}") from exc


def _draw(rng: Callable[[int], bytes], count: int) -> tuple[bytes, ...]:
    """``count`` salts of SALT_BYTES, sliced in order from draws of SALTS_PER_DRAW salts (the
    rest of the last draw is not used)."""
    draws = -(-count // SALTS_PER_DRAW)
    pool = b"".join([rng(SALT_BYTES * SALTS_PER_DRAW) for _ in range(draws)])
    try:
        return _pieces(SALT_BYTES, 0, count)(pool[: SALT_BYTES * count])
    except struct.error as exc:
        raise RuntimeError("the random source gave fewer bytes than asked") from exc


# Every piece of a copy is made for all its salts at once, in one C call per step, not one
# step per Disclosure: base64 of bytes in slots whose size is a multiple of 3 is the slots'
# base64 end to end. A salt (16 bytes) is encoded in an 18-byte slot, its 2 zero bytes the
# zero bits unpadded base64url ends a salt with (22 characters, then "AA"). The first 24
# bytes of a Disclosure's JSON, '["' and its salt, encode to 32 characters of their own, so
# the rest ('"' onwards), the same for every copy, is encoded once for the batch. A digest
# (32 bytes) is encoded in a 33-byte slot likewise: its 43 characters, then "A".
_HEAD: Final = 24  # '["' + a salt's 22 characters: a multiple of 3
_DIGEST: Final = type(hashlib.sha256()).digest
_DIGEST_CHARS: Final = 43  # unpadded base64url of SHA-256's 32 bytes


@functools.lru_cache(maxsize=256)
def _pieces(size: int, skip: int, count: int) -> Callable[[bytes], tuple[bytes, ...]]:
    """Cut ``count`` pieces of ``size`` bytes, each followed by ``skip`` bytes left out."""
    return struct.Struct(f"{size}s{skip}x" * count).unpack  # "0x": no byte left out


_PAD: Final = b"="


def _b64url(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(_PAD)


def _heads(salts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The base64url of each Disclosure's first 24 bytes, '["' and its salt's base64url."""
    count = len(salts)
    encoded = binascii.b2a_base64(b"\0\0".join(salts) + b"\0\0", newline=False)
    # Each salt's 22 characters, with '["' before it where the slot before left "AA".
    heads = bytearray(b'["' + encoded[:-2].translate(_TO_URL))
    heads[_HEAD::_HEAD] = b"[" * (count - 1)
    heads[_HEAD + 1 :: _HEAD] = b'"' * (count - 1)
    # No '+' or '/' to turn into base64url's: those encode 6 bits 62 or 63, which in base64 of
    # ASCII text only a byte ending in them could give ('>', '?', '~', DEL), none of them in
    # '["' or base64url's alphabet.
    encoded = binascii.b2a_base64(heads, newline=False)
    return _pieces(_HEAD // 3 * 4, 0, count)(encoded)


def _digests(texts: list[bytes]) -> list[bytes]:
    """The unpadded base64url of each text's SHA-256 (RFC 9901 §4.2.3: over the text as sent)."""
    if not texts:
        return []
    digests = list(map(_DIGEST, map(hashlib.sha256, texts)))
    encoded = binascii.b2a_base64(b"\0".join(digests) + b"\0", newline=False).translate(_TO_URL)
    return list(_pieces(_DIGEST_CHARS, 1, len(texts))(encoded))


# A salt's base64url stands in for the salt when a Disclosure's JSON is made once for every
# copy: its text never needs JSON escaping, so the rest of the JSON is the same whatever salt
# a copy puts in front (and a refusal's message, which counts characters, is the same too).
_SALT_TEXT: Final = "A" * len(base64url(bytes(SALT_BYTES)))
_SALT_END: Final = len(_SALT_TEXT) + 2  # '["' + the salt: the rest starts at its '"'
assert _SALT_END == _HEAD
# A digest's base64url (SHA-256: 43 characters), standing in for one in a nested Disclosure's
# JSON when it is checked (``_Plan._shape``).
_DIGEST_TEXT: Final = "A" * len(base64url(bytes(32)))
# What a member of the claims becomes, decided once for every copy of a batch.
_CLEAR, _DISCLOSED, _NESTED, _NESTED_DISCLOSED = range(4)
# The JSON around a digest in an array (RFC 9901 §4.2.4.2) and an object's ``_sd``, as
# ``dumps_compact`` writes them: a digest is base64url, which JSON never escapes.
_ARRAY_OPEN: Final = _compact({ARRAY_KEY: ""})[:-2]  # {"...":"
_ARRAY_CLOSE: Final = b'"}'
_SD_OPEN: Final = _compact({SD_KEY: [""]})[1:-3]  # "_sd":["
_SD_CLOSE: Final = b'"]'


@dataclass(frozen=True, slots=True)
class _Node:
    """An object or array of the claims, walked once: each member with what it becomes, its
    JSON made once where it is the same in every copy.

    A disclosed scalar is numbered among the batch's leaves (``_Plan.tails``: the end of its
    Disclosure's JSON, encoded): a copy adds only its salt in front. A nested object or array
    is made again for each copy (its digests are the copy's own). Salts are numbered in the
    order the claims are walked: a nested Disclosure's after those beneath it, an object's
    decoys after its members."""

    is_object: bool
    # (name or index, what it becomes, its data, its JSON): a member in the clear, its value
    # and its JSON as it is written ('"name":' and the value in an object); a nested node and
    # its name's JSON ('"name":', nothing in an array); an array's disclosed scalar, its
    # leaf's number and the JSON before its digest ('{"...":"'); a nested Disclosure, (the
    # nested node, its salt's number) and its JSON between the salt and the value
    # ('","name",', or '",' in an array). An object's disclosed scalars are not among them:
    # they are only digests in its ``_sd``.
    members: tuple[tuple[Any, int, Any, bytes], ...]
    discloses: bool  # an object with Disclosures: it gets decoys and ``_sd``
    disclosed: int  # its members with a Disclosure
    digests: tuple[int, ...]  # an object's: its leaves' and decoys' numbers among the digests


class _Plan:
    """The claims of one record checked and walked once (every check ``issue`` makes, with the
    same codes); ``build`` then makes each copy's claims and Disclosures with its own salts,
    the same bytes as walking the claims anew would."""

    def __init__(self, claims: dict[str, Any], patterns: list[ClaimPath], decoys: int) -> None:
        # Concrete paths are looked up; only paths with a None (every element) are matched.
        self.exact = {p for p in patterns if None not in p}
        self.wildcards = [p for p in patterns if None in p]
        self.decoys = decoys
        self.salts = 0  # salts a copy draws, numbered as they are drawn
        self.leaves: list[int] = []  # each disclosed scalar's salt
        self.tails: list[bytes] = []  # and the rest of its Disclosure, encoded
        self.decoy_salts: list[int] = []
        self.disclosures: list[int] = []  # the salts of Disclosures, in the order they are sent
        # A value in the clear that JSON cannot write: refused as the JSON it is part of
        # refuses it, a nested Disclosure's (``_shape``), or else the payload's, here.
        self.unwritable: Error | None = None
        self.root = self._walk(claims, (), 1)
        if self.unwritable is not None:
            raise self.unwritable
        # A copy's digests are its leaves' in order, then its decoys' from the last: decoy n
        # is digest -1 - n, numbered before the leaves are counted.
        self.decoy_salts.reverse()

    def _disclosable(self, path: ClaimPath) -> bool:
        if path in self.exact:
            return True
        return any(len(p) == len(path) and matches(p, path) for p in self.wildcards)

    def _walk(self, value: Any, path: ClaimPath, depth: int) -> _Node:
        # Objects and arrays count, as the verifier counts them (sdjwt_format._Walk).
        if depth > MAX_DEPTH:
            raise SDJWT_TOO_DEEP(f"claims nest deeper than {MAX_DEPTH}")
        is_object = isinstance(value, dict)
        members: list[tuple[Any, int, Any, bytes]] = []
        disclosed = 0  # members with a Disclosure
        digests: list[int] = []
        items = value.items() if is_object else enumerate(value)
        for name, item in items:
            if is_object:
                if not isinstance(name, str):
                    raise SDJWT_CLAIMS_INVALID(f"claim name {name!r} is not a string")
                if name in RESERVED_NAMES:
                    raise SDJWT_CLAIM_NAME_RESERVED(f"claim name {name!r} is reserved")
            here = (*path, name)
            nested = self._walk(item, here, depth + 1) if isinstance(item, dict | list) else None
            if not self._disclosable(here):
                # Its JSON made once here, as the payload would write it.
                key = _compact(name) + b":" if is_object else b""
                if nested is not None:
                    members.append((name, _NESTED, nested, key))
                    continue
                try:
                    members.append((name, _CLEAR, item, key + _compact(item)))
                except Error as exc:  # kept for ``_shape``; never written (refused once walked)
                    self.unwritable = self.unwritable or exc
                    members.append((name, _CLEAR, item, key))
                continue
            disclosed += 1
            # The Disclosure's JSON is checked here, where walking the claims would make it.
            label = [name] if is_object else []
            if nested is None:
                rest = _compact([_SALT_TEXT, *label, item])[_SALT_END:]
                salt = self.salts
                self.salts += 1
                self.disclosures.append(salt)
                self.leaves.append(salt)
                self.tails.append(_b64url(rest))
                if is_object:
                    digests.append(len(self.leaves) - 1)
                else:
                    members.append((name, _DISCLOSED, len(self.leaves) - 1, _ARRAY_OPEN))
            else:
                _compact([_SALT_TEXT, *label, self._shape(nested)])
                # Its JSON between the salt and the value: the value is the copy's own.
                between = b'",' + (_compact(name) + b"," if is_object else b"")
                salt = self.salts
                self.salts += 1
                self.disclosures.append(salt)
                members.append((name, _NESTED_DISCLOSED, (nested, salt), between))
        discloses = is_object and disclosed > 0
        if discloses:
            # RFC 9901 §4.2.5: a decoy is the digest of a random value, not of any Disclosure.
            first = len(self.decoy_salts)
            digests += range(-1 - first, -1 - first - self.decoys, -1)
            self.decoy_salts += range(self.salts, self.salts + self.decoys)
            self.salts += self.decoys
        return _Node(is_object, tuple(members), discloses, disclosed, tuple(digests))

    def _shape(self, node: _Node) -> Any:
        """What ``_place`` makes of ``node``, as values, every digest a stand-in of a digest's
        length: the JSON of a nested Disclosure is the same text but for the digests' letters
        (none of which is escaped), so checking it needs no salts or hashing, and a value it
        cannot write is refused with the message its JSON would give. The Disclosures beneath
        it were checked when their own nodes were walked."""
        built: Any = {} if node.is_object else []
        for name, kind, data, _ in node.members:
            if kind == _CLEAR:
                value = data
            elif kind == _NESTED:
                value = self._shape(data)
            elif node.is_object:
                continue  # a nested Disclosure: a digest in ``_sd``
            else:
                built.append({ARRAY_KEY: _DIGEST_TEXT})
                continue
            if node.is_object:
                built[name] = value
            else:
                built.append(value)
        if node.discloses:
            built[SD_KEY] = [_DIGEST_TEXT] * (node.disclosed + self.decoys)
        return built

    def build(self, rng: Callable[[int], bytes]) -> tuple[bytes, bytes]:
        """One copy's claims as JSON (an object: the payload's members beside the registered
        claims), drawing its salts from ``rng``; and its Disclosures as they follow the
        issuer's JWT, each ended by ``~``."""
        salts = _draw(rng, self.salts)
        heads = _heads(salts) if salts else ()
        # RFC 9901 §4.2.1-2: ["salt", "name", value]; the salt's base64url needs no JSON
        # escaping, so the text is the salt put in front of the rest.
        texts = list(map(bytes.__add__, [heads[n] for n in self.leaves], self.tails))
        # RFC 9901 §4.2.5: a decoy is the digest of a random value, not of any Disclosure.
        digests = _digests(texts + [salts[n] for n in self.decoy_salts])
        sent = dict(zip(self.leaves, texts))  # noqa: B905 - a text was made for each leaf
        built = self._place(self.root, heads, digests, sent)
        return built, b"".join([sent[n] + b"~" for n in self.disclosures])

    def _place(
        self, node: _Node, heads: tuple[bytes, ...], digests: list[bytes], sent: dict[int, bytes]
    ) -> bytes:
        """``node``'s JSON as one copy makes it; a nested Disclosure's text put in ``sent``."""
        parts: list[bytes] = []
        hashed = [digests[n] for n in node.digests]
        for _, kind, data, text in node.members:
            if kind == _CLEAR:
                parts.append(text)
            elif kind == _NESTED:
                parts.append(text + self._place(data, heads, digests, sent))
            elif kind == _DISCLOSED:  # an array's element
                parts.append(text + digests[data] + _ARRAY_CLOSE)
            else:
                nested, salt = data
                inner = self._place(nested, heads, digests, sent)
                disclosure = heads[salt] + _b64url(text + inner + b"]")
                sent[salt] = disclosure
                digest = _b64url(hashlib.sha256(disclosure).digest())
                if node.is_object:
                    hashed.append(digest)
                else:
                    parts.append(_ARRAY_OPEN + digest + _ARRAY_CLOSE)
        if node.discloses:
            # §4.2.4.1: sorted, so the order says nothing about the claims' original order.
            parts.append(_SD_OPEN + b'","'.join(sorted(hashed)) + _SD_CLOSE)
        if node.is_object:
            return b"{" + b",".join(parts) + b"}"
        return b"[" + b",".join(parts) + b"]"


@dataclass(frozen=True, slots=True)
class Copy:
    """One copy of a batch: the holder key it is bound to and its status list entry."""

    cnf_jwk: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


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
    (issued,) = issue_batch(
        issuer_key=issuer_key,
        kid=kid,
        iss=iss,
        claims=claims,
        disclosable=disclosable,
        iat=iat,
        copies=[Copy(cnf_jwk, status)],
        vct=vct,
        exp=exp,
        nbf=nbf,
        decoys=decoys,
        typ=typ,
        extra_header=extra_header,
        rng=rng,
    )
    return issued


def issue_batch(
    *,
    issuer_key: PrivateKey,
    kid: str,
    iss: str,
    claims: dict[str, Any],
    disclosable: Iterable[ClaimPath],
    iat: int,
    copies: Sequence[Copy],
    vct: str | None = None,
    exp: int | None = None,
    nbf: int | None = None,
    decoys: int = 2,
    typ: str = SD_JWT_VC_TYP,
    extra_header: dict[str, Any] | None = None,
    rng: Callable[[int], bytes] = secrets.token_bytes,
) -> list[str]:
    """As ``issue``, one SD-JWT per copy (each its own salts, decoys, ``cnf`` and ``status``):
    the claims are checked and walked once for the whole batch. Each copy is the bytes
    ``issue`` makes for it with the random bytes that copy draws."""
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
    plan = _Plan(claims, patterns, decoys)
    sign = issuer_key.compact_signer({**(extra_header or {}), "typ": typ, "kid": kid})
    # The payload's members before the copy's own (RFC 9901 pitfall 9: in the clear), made
    # once: its JSON without the closing brace, as ``dumps_compact`` writes the payload.
    registered: dict[str, Any] = {"iss": iss, "iat": iat}
    for name, value in (("nbf", nbf), ("exp", exp), ("vct", vct)):
        if value is not None:
            registered[name] = value
    opening = _compact(registered)[:-1]
    closing = b"," + _compact({SD_ALG_KEY: SD_ALG})[1:]
    issued: list[str] = []
    for copy in copies:
        claims_json, disclosures = plan.build(rng)
        payload = [opening]
        if copy.status is not None:
            payload += (b',"status":', _compact(copy.status))
        if copy.cnf_jwk is not None:
            jwk = PublicKey.from_jwk(copy.cnf_jwk).to_jwk()
            payload += (b',"cnf":{"jwk":', _compact(jwk), b"}")
        if claims_json != b"{}":  # the claims' members after the registered ones
            payload += (b",", claims_json[1:-1])
        payload.append(closing)
        jwt = sign(b"".join(payload))
        issued.append(f"{jwt}~{disclosures.decode()}")
    return issued


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
