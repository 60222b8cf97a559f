"""Helpers for the attack files: forge tokens, run the desk's checks, and assert the failing
step's code and that the desk's store did not change (beyond spending the nonce, for a
failure after the replay step)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from civicid.encoding import b64url_decode, b64url_encode
from civicid.jose import PrivateKey
from civicid.oid4vp import new_nonce
from tests.verifier.world import World
from verifier.checks import STEPS
from verifier.decision import Decision
from verifier.service import Verifier

AFTER_REPLAY = {s.name for s in STEPS[[s.name for s in STEPS].index("replay") + 1 :]}


def store_state(verifier: Verifier) -> tuple[Any, ...]:
    with sqlite3.connect(verifier.store.path) as db:
        return tuple(
            tuple(db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall())  # noqa: S608
            for table in ("requests", "nonces", "audit")
        )


def refused(
    verifier: Verifier,
    presentation: str,
    code: str,
    *,
    nonce: str,
    policy: str = "housing-benefit",
    step: str | None = None,
) -> Decision:
    """Check ``presentation``; it must fail with ``code`` (at ``step``), change nothing stored
    but, past the replay step, the spent nonce."""
    before = store_state(verifier)
    decision = verifier.check(presentation, policy=verifier.policy(policy), nonce=nonce)
    assert not decision.eligible, decision.to_text()
    assert decision.code == code, decision.to_text()
    failed = decision.failed
    assert failed is not None
    if step is not None:
        assert failed.step == step, decision.to_text()
    after = store_state(verifier)
    if failed.step in AFTER_REPLAY:
        assert after[0] == before[0] and after[2:] == before[2:]
        assert len(after[1]) == len(before[1]) + 1
    else:
        assert after == before
    return decision


def passes(
    verifier: Verifier, presentation: str, *, nonce: str, policy: str = "housing-benefit"
) -> Decision:
    decision = verifier.check(presentation, policy=verifier.policy(policy), nonce=nonce)
    assert decision.eligible, decision.to_text()
    return decision


def fresh(world: World, verifier: Verifier, credential: str, **kwargs: Any) -> tuple[str, str]:
    """A presentation of ``credential`` for a new nonce, and that nonce."""
    nonce = new_nonce()
    presentation = world.present(
        credential, nonce=nonce, aud=verifier.client_id, iat=verifier.clock(), **kwargs
    )
    return presentation, nonce


def split(sd_jwt: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The issuer JWT's header and payload (as signed), and the disclosures."""
    parts = sd_jwt.split("~")
    head, body, _ = parts[0].split(".")
    return (
        json.loads(b64url_decode(head)),
        json.loads(b64url_decode(body)),
        parts[1:-1],
    )


def resign(
    sd_jwt: str,
    key: PrivateKey,
    *,
    header: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    disclosures: list[str] | None = None,
) -> str:
    """The SD-JWT re-signed by ``key`` with ``header``/``payload`` replaced or merged."""
    old_header, old_payload, old_disclosures = split(sd_jwt)
    new_header = {k: v for k, v in {**old_header, **(header or {})}.items() if v is not None}
    new_payload = {k: v for k, v in {**old_payload, **(payload or {})}.items() if v is not None}
    jwt = key.sign_compact(json.dumps(new_payload).encode(), new_header)
    return "~".join([jwt, *(old_disclosures if disclosures is None else disclosures), ""])


def unsigned(sd_jwt: str, alg: str, signature: bytes = b"") -> str:
    """The SD-JWT with its header's alg replaced and ``signature`` (for none / HMAC)."""
    header, payload, disclosures = split(sd_jwt)
    head = b64url_encode(json.dumps({**header, "alg": alg}).encode())
    body = b64url_encode(json.dumps(payload).encode())
    return "~".join([f"{head}.{body}.{b64url_encode(signature)}", *disclosures, ""])


def disclosure(salt: str, name: str | None, value: Any) -> tuple[str, str]:
    """A disclosure and its digest (RFC 9901 §4.2.1, §4.2.3)."""
    item = [salt, value] if name is None else [salt, name, value]
    text = b64url_encode(json.dumps(item).encode())
    return text, b64url_encode(hashlib.sha256(text.encode()).digest())


def bind(
    world: World,
    verifier: Verifier,
    sd_jwt: str,
    nonce: str | None = None,
    *,
    key: PrivateKey | None = None,
    **claims: Any,
) -> tuple[str, str]:
    """``sd_jwt`` (ending in "~", as tampered) with a KB-JWT by the holder (or ``key``) over
    exactly those bytes, for this desk and a fresh nonce; ``claims`` override the KB claims."""
    nonce = nonce or new_nonce()
    kb = {
        "iat": verifier.clock(),
        "aud": verifier.client_id,
        "nonce": nonce,
        "sd_hash": b64url_encode(hashlib.sha256(sd_jwt.encode("ascii")).digest()),
        **claims,
    }
    token = (key or world.holder).sign_compact(json.dumps(kb).encode(), {"typ": "kb+jwt"})
    return sd_jwt + token, nonce


def selected(world: World, credential: str, disclose: list[Any] | None = None) -> list[str]:
    """The credential's parts, with only the housing-benefit disclosures kept."""
    from civicid import sdjwt
    from tests.verifier.world import HOUSING

    paths = HOUSING if disclose is None else disclose
    return sdjwt.present(credential, disclose=paths, holder_key=None).split("~")
