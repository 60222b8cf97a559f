"""The desk: presentations fully verified per second with warm ledger caches (every step of
``verifier.checks``: signatures, disclosures, key binding, accreditation, type, status list,
policy), beside the reference ``sd-jwt`` package verifying the same presentation (which checks
far less); end to end over HTTP (request → request object → answer → decision); and cold
checks (empty caches, every ledger answer fetched and proven over loopback), p50 / p99.

Run: ``python -m benchmarks.verifier [--seconds 1.0] [--smoke]`` (``--smoke``: tiny rounds and
a few cold checks, to show every step runs).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from sd_jwt.verifier import SDJWTVerifier

from benchmarks.table import Row, render
from civicid import sdjwt
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.encoding import b64url_decode
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.oid4vp import new_nonce, parse_link
from civicid.status_list import StatusList, build_token
from civicid.status_uri import status_service
from civicid.trust import Trust
from cli.harness import serving
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from ledger.setup import initialize, open_ledger
from verifier.app import create_app as verifier_app
from verifier.checks import check_presentation
from verifier.policy import Policy, load_policy
from verifier.service import Verifier
from verifier.settings import VerifierSettings

PART = "verifier"
ROUNDS = 5  # best of five: the machine is shared, the best round is the least disturbed
CHECKS_TARGET = 2_500  # presentations/s fully verified on one core, warm caches (the issue's)
RATIO_TARGET = 1.5  # ours / the reference package on the same presentation
COLD_SAMPLES = 40
SMOKE_SECONDS, SMOKE_COLD_SAMPLES = 0.01, 3  # a smoke run: its figures mean nothing
E2E_SECONDS_FACTOR = 2  # the HTTP round trip is slower: give it longer rounds
NATIONAL_ID: Final = "https://civicid.example/vct/national-id"
AGENCY_URL: Final = "https://agency.civicid.example"  # its status lists live under it
LIST_URI: Final = f"{AGENCY_URL}/status/1"
POLICY: Final = Path(__file__).parents[1] / "examples" / "policies" / "housing-benefit.toml"
CLAIMS: Final[dict[str, Any]] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1990-04-12",
    "resident": True,
    "age_equal_or_over": {"18": True, "21": True, "65": False},
}
DISCLOSABLE: Final = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("resident",),
    ("age_equal_or_over", "18"),
    ("age_equal_or_over", "21"),
    ("age_equal_or_over", "65"),
]
DISCLOSE: Final = [("resident",), ("age_equal_or_over", "18")]


class Spent:
    """An in-memory replay guard: the check's own cost, without the store's fsync."""

    def __init__(self) -> None:
        self.nonces: set[str] = set()

    def use_nonce(self, nonce: str, now: int) -> None:
        if nonce in self.nonces:
            raise AssertionError("replayed in a benchmark")
        self.nonces.add(nonce)


@dataclass
class Bench:
    root: Path
    ledger_url: str
    vkey: str
    agency: Identity
    desk: Identity
    holder: PrivateKey
    credential: str
    policy: Policy


@contextmanager
def world() -> Iterator[Bench]:
    """A ledger on loopback with an accredited agency and desk, a type, a status list, and a
    national ID credential held by a citizen."""
    with tempfile.TemporaryDirectory(prefix="civicid-bench-verifier-") as tmp:
        root = Path(tmp)
        genesis = initialize(root)
        ledger = open_ledger(root)
        now = int(time.time())

        def submit(who: Identity, kind: str, body: dict[str, Any]) -> None:
            ledger.submit(who.sign(kind, body, ledger=genesis.origin))

        # The agency's first document names the base URL its status lists live under, as
        # `ledger register --service` does: the ledger refuses a list URI outside it.
        agency = Identity.create(services=[status_service(AGENCY_URL)])
        desk = Identity.create()
        for who, role in ((agency, "agency"), (desk, "service-desk")):
            endorsement = genesis.governance.endorse(who.did, role, ledger=genesis.origin)
            ledger.submit(who.create_tx(role=role, endorsement=endorsement, ledger=genesis.origin))
        year = now + 365 * 86400
        basis = {"purpose": "Benchmark", "legal_basis": "Benchmark Act"}
        submit(
            genesis.governance,
            tx.ACCREDITATION_GRANT,
            grant_body(
                agency.did,
                credential_types=[NATIONAL_ID],
                valid_from=now - 60,
                valid_until=year,
                **basis,
            ),
        )
        submit(
            genesis.governance,
            tx.ACCREDITATION_GRANT,
            grant_body(
                desk.did,
                claims={NATIONAL_ID: ["resident", "age_equal_or_over.18"]},
                valid_from=now - 60,
                valid_until=year,
                **basis,
            ),
        )
        schema = {"type": "object", "properties": {"resident": {"type": "boolean"}}}
        metadata = {"vct": NATIONAL_ID, "name": "National ID"}
        submit(
            agency, tx.CREDENTIAL_TYPE, {"vct": NATIONAL_ID, "metadata": metadata, "schema": schema}
        )
        token = build_token(
            key=agency.key,
            kid=agency.kid,
            sub=LIST_URI,
            status_list=StatusList(100_000, 2),
            iat=now,
            exp=None,
            ttl=3600,
        )
        submit(agency, tx.STATUS_LIST, {"uri": LIST_URI, "token": token})
        KeyStore(root / "keys").put("desk", desk.to_json())
        (root / "policies").mkdir()
        # Housing benefit as shipped reads the ledger afresh for every decision
        # (max_ledger_age_seconds = 0); the warm-cache figures are for a desk that accepts
        # ledger data up to five minutes old.
        text = re.sub(r"(?m)^max_ledger_age_seconds.*$", "max_ledger_age_seconds = 300",
                      POLICY.read_text())  # fmt: skip
        policy_file = root / "policies" / POLICY.name
        policy_file.write_text(text)
        holder = PrivateKey.generate()
        credential = sdjwt.issue(
            issuer_key=agency.key,
            kid=agency.kid,
            iss=agency.did,
            claims=CLAIMS,
            disclosable=DISCLOSABLE,
            iat=now,
            vct=NATIONAL_ID,
            exp=now + 365 * 86400,
            cnf_jwk=holder.public.to_jwk(),
            status={"status_list": {"idx": 4242, "uri": LIST_URI}},
        )
        with serving(ledger_app(LedgerSettings(data_dir=root), ledger=ledger), 0) as url:
            yield Bench(
                root, url, genesis.vkey, agency, desk, holder, credential, load_policy(policy_file)
            )
        ledger.close()


def present(bench: Bench, nonce: str, aud: str) -> str:
    return sdjwt.present(
        bench.credential,
        disclose=DISCLOSE,
        holder_key=bench.holder,
        nonce=nonce,
        aud=aud,
        iat=int(time.time()),
    )


def best_rate(work: Callable[[int], object], seconds: float, rounds: int = ROUNDS) -> float:
    best, index = 0.0, 0
    for _ in range(rounds):
        count, started, elapsed = 0, time.perf_counter(), 0.0
        while elapsed < seconds:
            work(index)
            index += 1
            count += 1
            elapsed = time.perf_counter() - started
        best = max(best, count / elapsed)
    return best


def warm_checks(bench: Bench, seconds: float) -> list[Row]:
    """Every step, warm caches, one core; and the reference package on the same input."""
    client = LedgerClient(bench.ledger_url, bench.vkey)
    trust = Trust(client, clock=lambda: int(time.time()))
    client_id = f"decentralized_identifier:{bench.desk.did}"
    # One presentation per check, each with its own nonce, made before the clock starts.
    supply = int(CHECKS_TARGET * 2 * seconds * ROUNDS) + 100
    batch = [(n, present(bench, n, client_id)) for n in (new_nonce() for _ in range(supply))]
    spent = Spent()

    def ours(index: int) -> object:
        nonce, text = batch[index % len(batch)]
        if index >= len(batch):  # ran past the supply: reuse, with the replay guard reset
            spent.nonces.discard(nonce)
        decision = check_presentation(
            text,
            policy=bench.policy,
            nonce=nonce,
            client_id=client_id,
            trust=trust,
            now=int(time.time()),
            replay=spent,
        )
        return decision

    first = ours(0)
    assert getattr(first, "eligible", False), first
    spent.nonces.clear()
    issuer_jwk = bench.agency.key.public.jwcrypto_key
    nonce, text = batch[0]

    def reference(_: int) -> object:
        checked = SDJWTVerifier(
            text, lambda iss, header: issuer_jwk, expected_aud=client_id, expected_nonce=nonce
        )
        return checked.get_verified_payload()

    reference(0)
    rate_ours, rate_ref = 0.0, 0.0
    for _ in range(ROUNDS):  # alternate round by round: a busy moment falls on both
        rate_ours = max(rate_ours, best_rate(ours, seconds, 1))
        rate_ref = max(rate_ref, best_rate(reference, seconds, 1))
    client.close()
    return [
        Row(
            PART,
            "presentations fully verified, warm caches",
            rate_ours,
            "/s",
            f">= {CHECKS_TARGET:,}/s",
            rate_ours >= CHECKS_TARGET,
        ),
        Row(PART, "same presentation, sd-jwt reference (signatures, KB only)", rate_ref, "/s"),
        Row(
            PART,
            "fully verified: ours / reference",
            rate_ours / rate_ref,
            "x",
            f">= {RATIO_TARGET}",
            rate_ours / rate_ref >= RATIO_TARGET,
        ),
    ]


def end_to_end(bench: Bench, seconds: float) -> list[Row]:
    """A desk on loopback; each round trip: create a request, fetch the request object, post
    the wallet's answer, read the decision (as the desk's page polls it)."""
    settings = VerifierSettings(
        data_dir=bench.root,
        ledger_url=bench.ledger_url,
        checkpoint_key=bench.vkey,
        policies_dir=bench.root / "policies",
    )
    desk = Verifier.open(settings)
    rows: list[Row] = []
    with (
        serving(verifier_app(settings, verifier=desk), 0) as url,
        httpx.Client(base_url=url) as http,
    ):
        desk.base_url = url

        def round_trip(_: int) -> object:
            created = http.post("/requests", json={"policy": "housing-benefit"}).json()
            token = http.get(parse_link(created["link"]).request_uri).text
            claims = request_claims(token)
            presentation = present(bench, claims["nonce"], claims["client_id"])
            answer = http.post(
                claims["response_uri"],
                data={
                    "state": claims["state"],
                    "vp_token": json.dumps({"credential": [presentation]}),
                },
            ).json()
            assert answer["decision"] == "eligible", answer
            return http.get(created["status_url"]).json()

        round_trip(0)
        rate = best_rate(round_trip, seconds * E2E_SECONDS_FACTOR, 3)
        rows.append(Row(PART, "end to end over HTTP: request → answer → decision", rate, "/s"))
    desk.close()
    return rows


def request_claims(token: str) -> dict[str, Any]:
    """The request object's claims (the wallet's verification is the wallet benchmark's)."""
    value: dict[str, Any] = json.loads(b64url_decode(token.split(".")[1]))
    return value


def cold(bench: Bench, count: int = COLD_SAMPLES) -> list[Row]:
    """Empty caches each time: DID history, grants, type and status list fetched and proven
    from the ledger over loopback, then every step."""
    client_id = f"decentralized_identifier:{bench.desk.did}"
    samples = []
    for _ in range(count):
        nonce = new_nonce()
        text = present(bench, nonce, client_id)
        client = LedgerClient(bench.ledger_url, bench.vkey)
        trust = Trust(client, clock=lambda: int(time.time()))
        started = time.perf_counter()
        decision = check_presentation(
            text,
            policy=bench.policy,
            nonce=nonce,
            client_id=client_id,
            trust=trust,
            now=int(time.time()),
        )
        samples.append((time.perf_counter() - started) * 1000)
        assert decision.eligible, decision.to_text()
        client.close()
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return [
        Row(
            PART,
            "cold check (empty caches, ledger on loopback), p50",
            statistics.median(samples),
            "ms",
        ),
        Row(PART, "cold check (empty caches, ledger on loopback), p99", p99, "ms"),
    ]


def run(seconds: float, cold_samples: int = COLD_SAMPLES) -> list[Row]:
    with world() as bench:
        rows = warm_checks(bench, seconds)
        rows += end_to_end(bench, seconds)
        rows += cold(bench, cold_samples)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed round")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    rows = run(SMOKE_SECONDS, SMOKE_COLD_SAMPLES) if args.smoke else run(args.seconds)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
