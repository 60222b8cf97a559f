"""Properties of issue → present → verify over random claims, and a fuzz of presentations.

Property: for random claims, random disclosable paths and a random choice of paths to disclose,
the verifier gets back exactly what the choice reveals: every clear claim, every chosen claim
with everything beneath it, the parents it needs, and nothing else.

Fuzz: a presentation changed anywhere never verifies, and is refused with the code of the part
that was changed: never a foreign exception, never internal_error.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicid.errors import Error
from civicid.sdjwt import ClaimPath, disclosable_paths, issue, parse, present, verify
from tests.civicid.sdjwt_fixtures import AUD, NONCE, NOW, credential, holder_key, issuer_key

REGISTERED = {"iss", "iat", "exp", "nbf", "vct", "cnf", "status"}

names = st.sampled_from(["a", "b", "c", "given_name", "address", "x y", "é", "18", "0"])
scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=12,
)
claim_sets = st.dictionaries(names, values, min_size=1, max_size=5)


def all_paths(value: Any, prefix: ClaimPath = ()) -> list[ClaimPath]:
    """Every concrete path below ``value`` (its own excluded)."""
    found: list[ClaimPath] = []
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        path = (*prefix, key)
        found.append(path)
        found.extend(all_paths(child, path))
    return found


def related(a: ClaimPath, b: ClaimPath) -> bool:
    """One path lies on the other's branch (ancestor, descendant or the same)."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def revealed(
    value: Any, sd: set[ClaimPath], chosen: list[ClaimPath], prefix: ClaimPath = ()
) -> Any:
    """The oracle: ``value`` as a verifier should see it."""

    def keep(path: ClaimPath) -> bool:
        return path not in sd or any(related(path, c) for c in chosen)

    if isinstance(value, dict):
        return {
            k: revealed(v, sd, chosen, (*prefix, k)) for k, v in value.items() if keep((*prefix, k))
        }
    if isinstance(value, list):
        return [
            revealed(v, sd, chosen, (*prefix, i)) for i, v in enumerate(value) if keep((*prefix, i))
        ]
    return value


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[ClaimPath], list[ClaimPath]]:
    claims = draw(claim_sets)
    paths = all_paths(claims)
    sd = draw(st.lists(st.sampled_from(paths), unique=True)) if paths else []
    chosen = draw(st.lists(st.sampled_from(paths), unique=True, max_size=4)) if paths else []
    return claims, sd, chosen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 3))
def test_verifier_sees_exactly_what_was_chosen(
    scenario: tuple[dict[str, Any], list[ClaimPath], list[ClaimPath]], decoys: int
) -> None:
    claims, sd, chosen = scenario
    token = issue(
        issuer_key=issuer_key(),
        kid="k",
        iss="did:civicid:agency",
        claims=claims,
        disclosable=sd,
        iat=NOW,
        vct="urn:t",
        cnf_jwk=holder_key().public.to_jwk(),
        decoys=decoys,
    )
    assert set(disclosable_paths(token)) == set(sd)
    shown = present(token, disclose=chosen, holder_key=holder_key(), nonce=NONCE, aud=AUD, iat=NOW)
    verified = verify(shown, issuer_key=issuer_key().public, now=NOW, nonce=NONCE, aud=AUD)
    payload = {k: v for k, v in verified.payload.items() if k not in REGISTERED}
    assert payload == revealed(claims, set(sd), chosen)
    # Only the Disclosures the choice needs were sent.
    needed = {p for p in sd if any(related(p, c) for c in chosen)}
    assert len(verified.disclosures) == len(needed)
    full = verify(token, issuer_key=issuer_key().public, now=NOW, require_key_binding=False)
    assert {k: v for k, v in full.payload.items() if k not in REGISTERED} == claims


# -- fuzz ------------------------------------------------------------------------------------

HEADER_OR_BODY = {
    "sdjwt_malformed",
    "sdjwt_typ_invalid",
    "sdjwt_alg_not_allowed",
    "sdjwt_header_forbidden",
    "sdjwt_signature_invalid",
}
DISCLOSURE = {
    "sdjwt_malformed",
    "sdjwt_disclosure_malformed",
    "sdjwt_disclosure_unreferenced",
    "sdjwt_disclosure_duplicate",
    "kb_sd_hash_mismatch",
}
KB = {
    "kb_malformed",
    "kb_typ_invalid",
    "kb_alg_not_allowed",
    "kb_header_forbidden",
    "kb_signature_invalid",
    "kb_missing",
    "sdjwt_malformed",
    "sdjwt_disclosure_malformed",
    "sdjwt_disclosure_unreferenced",
}
ANY_SDJWT = HEADER_OR_BODY | DISCLOSURE | KB | {"sdjwt_too_large", "sdjwt_too_deep"}
CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~.= \n+/\x00é"


@functools.cache
def target() -> str:
    sd = credential()
    return present(
        sd,
        disclose=[("given_name",), ("address", "locality"), ("nationalities", 1)],
        holder_key=holder_key(),
        nonce=NONCE,
        aud=AUD,
        iat=NOW,
    )


def region(token: str, index: int) -> set[str]:
    """The codes a change at ``index`` may be refused with, by the part it falls in."""
    parsed = parse(token)
    jwt_end = len(parsed.issuer_jwt)
    kb_start = len(parsed.sd_jwt)
    if token[index] == "~":  # a separator changed: the parts on either side run together
        return ANY_SDJWT
    if index < jwt_end:
        return HEADER_OR_BODY | {"sdjwt_too_deep"}
    if index == kb_start - 1:  # the "~" before the KB-JWT: the last part is no longer a JWT
        return DISCLOSURE | KB | {"sdjwt_too_deep"}
    if index < kb_start:
        return DISCLOSURE | {"sdjwt_too_deep"}
    return KB


def refused_with(token: str, allowed: set[str]) -> None:
    try:
        verify(token, issuer_key=issuer_key().public, now=NOW, nonce=NONCE, aud=AUD)
    except Error as exc:
        assert exc.code in allowed, f"{exc.code}: {exc.message}"
    else:
        raise AssertionError("a changed presentation verified")


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_one_character_changed(data: st.DataObject) -> None:
    token = target()
    index = data.draw(st.integers(0, len(token) - 1))
    char = data.draw(st.sampled_from(CHARSET).filter(lambda c: c != token[index]))
    refused_with(token[:index] + char + token[index + 1 :], region(token, index))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_slice_removed_or_repeated(data: st.DataObject) -> None:
    token = target()
    start = data.draw(st.integers(0, len(token) - 1))
    end = data.draw(st.integers(start + 1, min(len(token), start + 200)))
    repeat = data.draw(st.booleans())
    changed = token[:end] + token[start:] if repeat else token[:start] + token[end:]
    refused_with(changed, ANY_SDJWT | {"kb_sd_hash_mismatch", "sdjwt_digest_duplicate"})


@settings(max_examples=100, deadline=None)
@given(st.permutations(range(5)))
def test_parts_reordered(order: list[int]) -> None:
    token = target()
    parts = token.split("~")
    assert len(parts) == 6  # issuer JWT, four Disclosures (locality's parent too), KB-JWT
    shuffled = [parts[i] for i in order] + [parts[5]]
    if shuffled == parts:
        verify(token, issuer_key=issuer_key().public, now=NOW, nonce=NONCE, aud=AUD)
        return
    if shuffled[0] == parts[0]:
        # Disclosures in another order: still genuine, but sd_hash covers them as sent.
        refused_with("~".join(shuffled), {"kb_sd_hash_mismatch"})
    else:
        refused_with("~".join(shuffled), {"sdjwt_malformed"})


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_random_input(junk: Any) -> None:
    text = junk.decode("latin-1") if isinstance(junk, bytes) else junk
    for candidate in (text, text + "~", "eyJ" + text + "~"):
        try:
            verify(candidate, issuer_key=issuer_key().public, now=NOW, nonce=NONCE, aud=AUD)
        except Error as exc:
            assert exc.code in ANY_SDJWT, exc
        else:
            raise AssertionError("random input verified")
