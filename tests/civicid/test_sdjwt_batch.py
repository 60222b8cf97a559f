"""A batch of SD-JWTs from one walk of the claims (``issue_batch``): each copy is the bytes
``issue`` makes for it with the random bytes that copy draws, and the claims' refusals are
the same codes as ``issue``'s, before any copy is made."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from civicid.errors import Error
from civicid.jose import PrivateKey, verify_compact
from civicid.sdjwt_builder import Copy, decode_unverified, issue, issue_batch
from civicid.sdjwt_format import SDJWT_CLAIM_NAME_RESERVED, SDJWT_CLAIMS_INVALID, SDJWT_TOO_DEEP

# Scalars, an array of scalars, an object with disclosed members, arrays of objects, a
# wildcard beneath an array, an element by index, non-ASCII text, a float and a null.
CLAIMS: dict[str, Any] = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birthdate": "1815-12-10",
    "nationalities": ["GB", "FR"],
    "address": {"street_address": "12 Rue \u00c9t\u00e9", "locality": "Paris", "country": "FR"},
    "degrees": [{"type": "BSc", "year": 1835}, {"type": "MSc", "year": 1840}],
    "age_over_18": True,
    "score": 1.5,
    "none": None,
}
PATHS: list[tuple[Any, ...]] = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("nationalities", None),
    ("address",),
    ("address", "street_address"),
    ("address", "locality"),
    ("degrees",),
    ("degrees", None, "year"),
    ("degrees", 1),
    ("age_over_18",),
    ("score",),
]
# The SHA-256 of three copies' signing inputs and Disclosures (``unsigned``) made with the
# counter below, by the builder that walked the claims anew for each copy: the batch's
# bytes are the same.
KNOWN = "3c1a6798ac9963c86ecebc370a978e227887a72280fccf6ce7a642ad3133708d"
ISSUER = "did:civicid:x"
DEEP: list[Any] = [1]
for _ in range(40):  # beyond MAX_DEPTH
    DEEP = [DEEP]
KID = f"{ISSUER}#key-1"
COMMON: dict[str, Any] = {
    "kid": KID,
    "iss": ISSUER,
    "claims": CLAIMS,
    "disclosable": PATHS,
    "iat": 1_700_000_000,
    "exp": 1_800_000_000,
    "vct": "https://civicid.example/vct/t",
    "decoys": 3,
}


def counter() -> Callable[[int], bytes]:
    """Every 4 bytes a new number: no two draws alike, the same in every run."""
    numbers = itertools.count()
    return lambda size: b"".join(next(numbers).to_bytes(4, "big") for _ in range(size // 4))


def status(n: int) -> dict[str, Any]:
    return {"status_list": {"idx": n, "uri": "https://i.example/status/1"}}


def unsigned(token: str) -> str:
    """A token without its signature (ECDSA signatures differ each time)."""
    jwt, *rest = token.split("~")
    return ".".join(jwt.split(".")[:2]) + "~" + "~".join(rest)


def fingerprint(tokens: list[str]) -> str:
    return hashlib.sha256("|".join(unsigned(t) for t in tokens).encode()).hexdigest()


def test_a_batch_is_the_bytes_of_its_copies_made_one_by_one() -> None:
    key = PrivateKey.generate()
    rng = counter()
    one_by_one = [issue(issuer_key=key, status=status(n), rng=rng, **COMMON) for n in range(3)]
    batch = issue_batch(
        issuer_key=key, copies=[Copy(status=status(n)) for n in range(3)], rng=counter(), **COMMON
    )
    assert [unsigned(t) for t in batch] == [unsigned(t) for t in one_by_one]
    assert fingerprint(batch) == KNOWN


def test_each_copy_is_bound_to_its_own_key_and_verifies() -> None:
    key = PrivateKey.generate()
    holders = [PrivateKey.generate() for _ in range(4)]
    batch = issue_batch(
        issuer_key=key,
        copies=[Copy(h.public.to_jwk(), status(n)) for n, h in enumerate(holders)],
        **COMMON,
    )
    disclosures = [set(t.split("~")[1:-1]) for t in batch]
    for n, (token, holder) in enumerate(zip(batch, holders, strict=True)):
        verify_compact(token.split("~")[0], key.public, typ="dc+sd-jwt")
        decoded = decode_unverified(token)
        assert decoded.payload["cnf"]["jwk"] == holder.public.to_jwk()
        assert decoded.payload["status"] == status(n)
        assert decoded.claims["address"]["locality"] == "Paris"
        assert decoded.claims["degrees"][1]["year"] == 1840
        # No Disclosure is shared between copies: each has its own salts.
        assert all(not disclosures[n] & other for m, other in enumerate(disclosures) if m != n)


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"a": {"_sd": 1}}, SDJWT_CLAIM_NAME_RESERVED),
        ({"a": {"b": float("nan")}}, SDJWT_CLAIMS_INVALID),
        ({"a": "\ud800"}, SDJWT_CLAIMS_INVALID),
        (
            {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            SDJWT_TOO_DEEP,
        ),
    ],
)
def test_claims_refused_in_a_batch_as_in_a_single_issue(claims: dict[str, Any], code: Any) -> None:
    key = PrivateKey.generate()
    args = {**COMMON, "claims": claims, "disclosable": [("a",)]}
    with pytest.raises(Error) as single:
        issue(issuer_key=key, **args)
    with pytest.raises(Error) as batch:
        issue_batch(issuer_key=key, copies=[Copy(), Copy()], **args)
    assert code.matches(single.value)
    assert (batch.value.code, batch.value.message) == (single.value.code, single.value.message)


# A nested Disclosure's JSON is checked before any copy is made, its digests stood in for:
# what it refuses, and where (a lone surrogate's position counts the digests' characters),
# is what encoding the Disclosure itself refuses.
@pytest.mark.parametrize(
    ("claims", "disclosable", "message"),
    [
        (
            {"a": {"b": "x", "c": "\ud800"}},
            [("a",), ("a", "b")],
            "not JSON: 'utf-8' codec can't encode character '\\ud800' in position 36: "
            "surrogates not allowed",
        ),
        (
            {"a": ["x", "\ud800"]},
            [("a",), ("a", 0)],
            "not JSON: 'utf-8' codec can't encode character '\\ud800' in position 86: "
            "surrogates not allowed",
        ),
        (
            {"a": {"b": "x", "c": {"d": "y", "e": ["z", "\ud800"]}}},
            [("a",), ("a", "b"), ("a", "c", "d"), ("a", "c", "e", 0)],
            "not JSON: 'utf-8' codec can't encode character '\\ud800' in position 96: "
            "surrogates not allowed",
        ),
        (  # after a nested object's digests and decoys
            {"a": {"c": {"d": "y", "g": "z"}, "f": "\ud800"}},
            [("a",), ("a", "c", "d"), ("a", "c", "g")],
            "not JSON: 'utf-8' codec can't encode character '\\ud800' in position 280: "
            "surrogates not allowed",
        ),
        (  # after an element of a nested array disclosed
            {"a": [["x", "y"], "\ud800"]},
            [("a",), ("a", 0, 1)],
            "not JSON: 'utf-8' codec can't encode character '\\ud800' in position 92: "
            "surrogates not allowed",
        ),
        (
            {"a": {"b": "x", "c": {1, 2}}},
            [("a",), ("a", "b")],
            "not JSON: Object of type set is not JSON serializable",
        ),
        (
            {"a": [{"b": "x"}, float("inf")]},
            [("a",), ("a", 0, "b")],
            "not JSON: Out of range float values are not JSON compliant",
        ),
    ],
)
def test_a_nested_disclosure_is_refused_as_its_own_json_is(
    claims: dict[str, Any], disclosable: list[tuple[Any, ...]], message: str
) -> None:
    args = {**COMMON, "claims": claims, "disclosable": disclosable}
    drawn: list[int] = []

    def rng(size: int) -> bytes:
        drawn.append(size)
        return bytes(size)

    with pytest.raises(Error) as refused:
        issue_batch(issuer_key=PrivateKey.generate(), copies=[Copy()], rng=rng, **args)
    assert SDJWT_CLAIMS_INVALID.matches(refused.value)
    assert refused.value.message == message
    assert drawn == []  # refused from the claims alone, before a copy drew its salts


@pytest.mark.parametrize(
    ("claims", "status_of_copy"),
    [
        ({"a": float("nan")}, status(1)),
        ({"a": {1, 2}}, status(1)),
        ({"a": "\ud800"}, status(1)),
        ({"a": "x"}, {"status_list": {"idx": float("inf"), "uri": "https://i.example/s/1"}}),
        ({"a": "x"}, "cycle"),
    ],
    ids=["nan in the clear", "set in the clear", "lone surrogate", "status not JSON", "cycle"],
)
def test_a_payload_that_is_not_json_is_refused_with_the_claims_code(
    claims: dict[str, Any], status_of_copy: Any
) -> None:
    """What is signed in the clear (claims nobody may withhold, a copy's status) is encoded by
    the builder's own encoder: anything JSON has no text for is ``sdjwt_claims_invalid``."""
    if status_of_copy == "cycle":
        status_of_copy = {"status_list": {}}
        status_of_copy["status_list"]["again"] = status_of_copy
    args = {**COMMON, "claims": claims, "disclosable": []}
    with pytest.raises(Error) as refused:
        issue_batch(issuer_key=PrivateKey.generate(), copies=[Copy(status=status_of_copy)], **args)
    assert SDJWT_CLAIMS_INVALID.matches(refused.value)
