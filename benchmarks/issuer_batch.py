"""A credential request's SD-JWT batch alone: ``issue_batch`` on the benchmark's record (a
national ID: 15 disclosable claims, 6 decoys a copy) for 4 holder keys, as the issuer calls
it, with the issuer's random source; its signatures timed apart (the batch with a signer that
signs nothing), and the batch's two parts: the claims checked and walked once (the plan) and
one copy made from it (salts, Disclosures, digests, its claims' JSON). Thread CPU, the best of
several rounds (the machine is shared: the best round is the least disturbed).

Used by ``python -m benchmarks.issuer --app-only`` (docs/performance/README.md, "Issuance").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from benchmarks.table import Row
from civicid import sdjwt_builder
from civicid.jose import PrivateKey
from civicid.sdjwt_builder import Copy, check_path, issue_batch
from issuer.credential_types import claim_paths
from issuer.entropy import ENTROPY

PART = "issuer"
BATCH: Final = 4  # copies, each bound to its own holder key
DECOYS: Final = 2  # per object with Disclosures, as the issuer adds them
ROUNDS: Final = 5
ISS: Final = "did:civicid:agency-bench"


def best_us(work: Callable[[], object], calls: int, rounds: int = ROUNDS) -> float:
    """Thread CPU µs per call of ``work``: the best of ``rounds`` rounds of ``calls``."""
    for _ in range(max(1, calls // 10)):
        work()
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(calls):
            work()
        best = min(best, (time.thread_time() - start) / calls)
    return best * 1e6


class _Unsigned(PrivateKey):
    """The issuer's key, its compact signer kept but signing nothing: the batch's own work."""

    def compact_signer(self, header: dict[str, Any]) -> Callable[[bytes], str]:
        return lambda payload: "h.p.s"


def batch_rows(claims: dict[str, Any], calls: int) -> list[Row]:
    key = PrivateKey.generate()
    unsigned = _Unsigned(key.jwcrypto_key, key.alg)
    holders = [PrivateKey.generate().public.to_jwk() for _ in range(BATCH)]
    copies = [
        Copy(holder, {"status_list": {"idx": n, "uri": "https://issuer.example/status/1"}})
        for n, holder in enumerate(holders)
    ]
    paths = list(claim_paths(claims, ()))
    args: dict[str, Any] = {
        "kid": f"{ISS}#key-1",
        "iss": ISS,
        "claims": claims,
        "disclosable": paths,
        "iat": 1_765_000_000,
        "exp": 1_765_000_000 + 86_400,
        "vct": "urn:civicid:national-id:1",
        "copies": copies,
        "decoys": DECOYS,
        "rng": ENTROPY,
    }
    signed = best_us(lambda: issue_batch(issuer_key=key, **args), calls)
    alone = best_us(lambda: issue_batch(issuer_key=unsigned, **args), calls)
    patterns = [check_path(p) for p in paths]
    plan = sdjwt_builder._Plan(claims, patterns, DECOYS)
    planned = best_us(lambda: sdjwt_builder._Plan(claims, patterns, DECOYS), calls)
    copy = best_us(lambda: plan.build(ENTROPY), calls * BATCH)
    return [
        Row(
            PART,
            f"SD-JWT batch alone (issue_batch, {BATCH} copies of the record), signed",
            signed,
            "µs",
        ),
        Row(PART, "  its signatures left out", alone, "µs"),
        Row(PART, "    the claims checked and walked once (the plan)", planned, "µs"),
        Row(PART, "    one copy's salts, Disclosures, digests and claims' JSON", copy, "µs"),
    ]
