"""The desk: presentations fully verified per second with warm ledger caches (every step of
``verifier.checks``: signatures, disclosures, key binding, accreditation, type, status list,
policy), beside the reference ``sd-jwt`` package verifying the same presentation (which checks
far less) and the cost of the cryptography alone (the two ES256 verifies, with the same
library), in one run; the same with one presentation in ten hostile; end to end over HTTP
against a desk in its own process served as ``civicid verifier serve`` serves it (request →
request object → answer → decision), with the desk's CPU per flow against its cryptography
(two ES256 signatures, two verifies); and cold checks (empty caches, every ledger answer
fetched and proven over loopback), p50 / p99.

Run: ``python -m benchmarks.verifier [--seconds 1.0] [--path checks|e2e|cold] [--smoke]``
(``--smoke``: tiny rounds and a few cold checks, to show every step runs).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sd_jwt.verifier import SDJWTVerifier

from benchmarks.loadgen import Connection, cpu_seconds
from benchmarks.table import Row, ratio, render
from civicid import sdjwt
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.encoding import b64url_decode, b64url_encode
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.oid4vp import new_nonce, parse_link
from civicid.sdjwt_format import digest_of, parse_jws
from civicid.status_list import StatusList, build_token
from civicid.status_uri import status_service
from civicid.trust import Trust
from cli.harness import free_port, serving, wait_until_healthy
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from ledger.setup import initialize, open_ledger
from verifier.checks import check_presentation
from verifier.policy import Policy, load_policy
from verifier.settings import VerifierSettings

PART = "verifier"
ROUNDS = 5  # best of five: the machine is shared, the best round is the least disturbed
CHECKS_TARGET = 3_500  # presentations/s fully verified on one core, warm caches (the issue's)
RATIO_TARGET = 2.0  # ours / the reference package on the same presentation
COLD_SAMPLES = 40
SMOKE_SECONDS, SMOKE_COLD_SAMPLES = 0.01, 3  # a smoke run: its figures mean nothing
E2E_SECONDS_FACTOR = 2  # the HTTP round trip is slower: give it longer rounds
E2E_TARGET = 300  # flows/s per desk process, end to end over HTTP (the issue's goal)
E2E_CLIENTS = 8  # wallets and desk pages at once: a busy office, not a flood
# Presentations made before the clock starts (each a KB signature); past them they are
# reused with the in-memory replay guard reset, every check still made in full.
MAX_SUPPLY = 3000
E2E_ROUNDS = 2  # per server, alternating
HTTPTOOLS: Final = "benchmarks.desk_server"  # the desk on httptools, for the comparison
HOSTILE_EVERY = 10  # one presentation in ten is an attack
HOSTILE_RATIO_TARGET = 0.9  # the good ones keep (nearly) their rate beside the attacks
NEW_REQUEST: Final = b'{"policy":"housing-benefit"}'
ROOT: Final = Path(__file__).parents[1]
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
    return best_rate_cpu(work, seconds, rounds)[0]


def best_rate_cpu(
    work: Callable[[int], object], seconds: float, rounds: int = ROUNDS, start: int = 0
) -> tuple[float, float]:
    """The best of ``rounds`` timed rounds: (operations per second, CPU seconds per operation
    in that round)."""
    best, cpu, index = 0.0, 0.0, start
    for _ in range(rounds):
        count, started, began_cpu, elapsed = 0, time.perf_counter(), time.process_time(), 0.0
        while elapsed < seconds:
            work(index)
            index += 1
            count += 1
            elapsed = time.perf_counter() - started
        if count / elapsed > best:
            best, cpu = count / elapsed, (time.process_time() - began_cpu) / count
    return best, cpu


@dataclass
class Crypto:
    """The cryptography alone, with the library the checks use: ES256 verifies of the
    presentation's two JWTs, and ES256 signatures like the desk's request object and receipt."""

    verify: float  # one verify, seconds of CPU
    sign: float  # one signature, seconds of CPU


def crypto_cost(bench: Bench, text: str, seconds: float) -> Crypto:
    parsed = sdjwt.parse(text)
    kb = parse_jws(str(parsed.kb_jwt), sdjwt.KB_MALFORMED)
    issuer_key, holder_key = bench.agency.key.public, bench.holder.public
    jws = parsed.jws

    def verify(_: int) -> None:
        issuer_key.verify_signature("ES256", jws.signing_input, jws.signature)
        holder_key.verify_signature("ES256", kb.signing_input, kb.signature)

    signer = ec.generate_private_key(ec.SECP256R1())
    data = jws.signing_input

    def sign(_: int) -> None:
        signer.sign(data, ec.ECDSA(hashes.SHA256()))

    # CPU per operation, least disturbed of three rounds (as the desk's CPU is measured).
    verify_cpu = min(best_rate_cpu(verify, seconds / 2, 1)[1] for _ in range(3)) / 2
    sign_cpu = min(best_rate_cpu(sign, seconds / 2, 1)[1] for _ in range(3))
    return Crypto(verify_cpu, sign_cpu)


def warm_checks(bench: Bench, seconds: float) -> list[Row]:
    """Every step, warm caches, one core; the reference package on the same input; the two
    ES256 verifies alone; rounds alternated so a busy moment falls on all three."""
    client = LedgerClient(bench.ledger_url, bench.vkey)
    trust = Trust(client, clock=lambda: int(time.time()))
    client_id = f"decentralized_identifier:{bench.desk.did}"
    # One presentation per check, each with its own nonce, made before the clock starts.
    supply = min(MAX_SUPPLY, int(CHECKS_TARGET * 2 * seconds * ROUNDS) + 100)
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

    def reference(index: int) -> object:
        # The same presentations ours checks, in turn (one over and over would keep its data
        # in the processor's caches, which a desk's stream of new presentations never does).
        nonce, text = batch[index % len(batch)]
        checked = SDJWTVerifier(
            text, lambda iss, header: issuer_jwk, expected_aud=client_id, expected_nonce=nonce
        )
        return checked.get_verified_payload()

    reference(0)
    text = batch[0][1]
    parsed = sdjwt.parse(text)
    kb = parse_jws(str(parsed.kb_jwt), sdjwt.KB_MALFORMED)
    issuer_key, holder_key = bench.agency.key.public, bench.holder.public

    def crypto(_: int) -> object:
        issuer_key.verify_signature("ES256", parsed.jws.signing_input, parsed.jws.signature)
        holder_key.verify_signature("ES256", kb.signing_input, kb.signature)
        return None

    # Rates are wall-clock (the machine's other work weighs on them); CPU per operation is
    # this process's own, so the ratios below hold on a busy machine too: the least
    # disturbed round of each (its lowest CPU per operation) is kept.
    rate_ours, rate_ref, rate_crypto = 0.0, 0.0, 0.0
    cpu_ours, cpu_ref, cpu_crypto = float("inf"), float("inf"), float("inf")
    index = ref_index = 0
    for _ in range(ROUNDS):  # alternate round by round: a busy moment falls on all three
        rate, cpu = best_rate_cpu(ours, seconds, 1, index)
        index += int(rate * seconds) + 1
        rate_ours, cpu_ours = max(rate_ours, rate), min(cpu_ours, cpu)
        rate, cpu = best_rate_cpu(reference, seconds, 1, ref_index)
        ref_index += int(rate * seconds) + 1
        rate_ref, cpu_ref = max(rate_ref, rate), min(cpu_ref, cpu)
        rate, cpu = best_rate_cpu(crypto, seconds, 1)
        rate_crypto, cpu_crypto = max(rate_crypto, rate), min(cpu_crypto, cpu)
    client.close()
    per_core = 1 / cpu_ours
    return [
        Row(PART, "presentations fully verified, warm caches (wall clock)", rate_ours, "/s"),
        Row(PART, "  CPU per presentation", cpu_ours * 1e6, "µs"),
        Row(
            PART,
            "  presentations/s per core (1 / CPU per presentation)",
            per_core,
            "/s",
            f">= {CHECKS_TARGET:,}/s",
            per_core >= CHECKS_TARGET,
        ),
        Row(PART, "  its 2 ES256 verifies alone (same library), CPU", cpu_crypto * 1e6, "µs"),
        Row(PART, "  CPU: fully verified / the cryptography alone", cpu_ours / cpu_crypto, "x"),
        Row(PART, "same presentations, sd-jwt reference (signatures, KB only)", rate_ref, "/s"),
        Row(PART, "  its CPU per presentation", cpu_ref * 1e6, "µs"),
        Row(
            PART,
            "fully verified: ours / reference (by CPU per presentation)",
            cpu_ref / cpu_ours,
            "x",
            f">= {RATIO_TARGET}",
            cpu_ref / cpu_ours >= RATIO_TARGET,
        ),
    ]


# -- one presentation in ten hostile ----------------------------------------------------------


def hostile_kinds(bench: Bench, client_id: str) -> list[tuple[str, Callable[[str], str]]]:
    """Attacks, each as (the code it must be refused with, a maker from a nonce): every one
    is signed or well formed enough to reach the step it attacks."""
    stranger = PrivateKey.generate()
    old = int(time.time()) - 3600

    def forged_signature(nonce: str) -> str:
        text = present(bench, nonce, client_id)
        jwt, rest = text.split("~", 1)
        head, payload, signature = jwt.split(".")
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        return f"{head}.{payload}.{flipped}~{rest}"

    def other_nonce(nonce: str) -> str:
        return present(bench, new_nonce(), client_id)

    def other_desk(nonce: str) -> str:
        return present(bench, nonce, "decentralized_identifier:did:example:other")

    def stale(nonce: str) -> str:
        return sdjwt.present(bench.credential, disclose=DISCLOSE, holder_key=bench.holder,
                             nonce=nonce, aud=client_id, iat=old)  # fmt: skip

    def stolen(nonce: str) -> str:  # the credential presented by someone else's key
        text = present(bench, nonce, client_id)
        sd_jwt = text[: text.rindex("~") + 1]
        kb = {"iat": int(time.time()), "aud": client_id, "nonce": nonce,
              "sd_hash": digest_of(sd_jwt)}  # fmt: skip
        return sd_jwt + stranger.sign_compact(json.dumps(kb).encode(), {"typ": "kb+jwt"})

    def extra_disclosure(nonce: str) -> str:
        text = present(bench, nonce, client_id)
        jwt, rest = text.split("~", 1)
        forged = b64url_encode(json.dumps(["salt-salt-salt", "resident", True]).encode())
        return f"{jwt}~{forged}~{rest}"

    return [
        ("sdjwt_signature_invalid", forged_signature),
        ("kb_nonce_mismatch", other_nonce),
        ("kb_aud_mismatch", other_desk),
        ("kb_iat_stale", stale),
        ("kb_signature_invalid", stolen),
        ("sdjwt_disclosure_unreferenced", extra_disclosure),
    ]


def hostile_mix(bench: Bench, seconds: float, hostile_share: int = HOSTILE_EVERY) -> list[Row]:
    """Good presentations alone, then with one in ``hostile_share`` an attack: the good ones'
    rate (their count over the time spent on them) in both, and every attack refused with
    its code."""
    client = LedgerClient(bench.ledger_url, bench.vkey)
    trust = Trust(client, clock=lambda: int(time.time()))
    client_id = f"decentralized_identifier:{bench.desk.did}"
    kinds = hostile_kinds(bench, client_id)
    supply = min(MAX_SUPPLY, int(CHECKS_TARGET * 2 * seconds * ROUNDS) + 100)
    good = [(n, present(bench, n, client_id), "") for n in (new_nonce() for _ in range(supply))]
    mixed: list[tuple[str, str, str]] = []
    for i, (nonce, text, _) in enumerate(good):
        if i % hostile_share == hostile_share - 1:
            code, make = kinds[(i // hostile_share) % len(kinds)]
            mixed.append((nonce, make(nonce), code))
        else:
            mixed.append((nonce, text, ""))
    spent = Spent()

    def timed(items: list[tuple[str, str, str]], budget: float) -> tuple[float, int]:
        """(CPU seconds spent on good presentations, how many), over ``budget`` seconds."""
        spent_good, count, began = 0.0, 0, time.perf_counter()
        for nonce, text, code in itertools.cycle(items):
            if time.perf_counter() - began >= budget:
                break
            spent.nonces.discard(nonce)
            started = time.thread_time()
            decision = check_presentation(text, policy=bench.policy, nonce=nonce,
                                          client_id=client_id, trust=trust,
                                          now=int(time.time()), replay=spent)  # fmt: skip
            took = time.thread_time() - started
            if code:
                assert not decision.eligible and decision.code == code, (code, decision.code)
            else:
                assert decision.eligible, decision.to_text()
                spent_good += took
                count += 1
        return spent_good, count

    for code, make in kinds:  # every kind refused with its code (and the caches warm)
        nonce = new_nonce()
        refused = check_presentation(make(nonce), policy=bench.policy, nonce=nonce,
                                     client_id=client_id, trust=trust, now=int(time.time()),
                                     replay=spent)  # fmt: skip
        assert not refused.eligible and refused.code == code, (code, refused.code)
    clean, dirty = float("inf"), float("inf")  # CPU per good presentation, least disturbed
    for _ in range(ROUNDS):
        took, count = timed(good, seconds)
        clean = min(clean, took / max(count, 1))
        took, count = timed(mixed, seconds)
        dirty = min(dirty, took / max(count, 1))
    client.close()
    return [
        Row(
            PART,
            f"good presentations with 1 in {hostile_share} hostile: CPU each",
            dirty * 1e6,
            "µs",
        ),
        Row(
            PART,
            "  good ones' rate per core: with hostile / without",
            clean / dirty,
            "x",
            f">= {HOSTILE_RATIO_TARGET}",
            clean / dirty >= HOSTILE_RATIO_TARGET,
        ),
    ]


# -- end to end over HTTP ---------------------------------------------------------------------


# More requests than any run of the HTTP flows starts within a request's lifetime.
BENCH_PENDING_REQUESTS: Final = 10_000_000


def serve_desk(bench: Bench, port: int, module: str = "cli") -> subprocess.Popen[bytes]:
    """The desk in its own process: as ``civicid verifier serve`` runs it (every limit of
    the hardened server), or with ``module="benchmarks.desk_server"`` on httptools."""
    settings = VerifierSettings(
        data_dir=bench.root,
        ledger_url=bench.ledger_url,
        checkpoint_key=bench.vkey,
        policies_dir=bench.root / "policies",
        # One load generator on loopback starts every flow's request: the per-client and
        # total bounds of a desk that takes requests from anyone are not what is measured.
        max_pending_requests=BENCH_PENDING_REQUESTS,
        max_pending_requests_per_client=BENCH_PENDING_REQUESTS,
    )
    settings.rewrite()
    command = [sys.executable, "-m", module]
    command += ["verifier", "serve"] if module == "cli" else []
    proc = subprocess.Popen(
        [*command, "--data-dir", str(bench.root), "--port", str(port)], cwd=ROOT
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
    return proc


@dataclass
class Served:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    rate: float = 0.0
    cpu: float = 0.0  # the desk's CPU seconds per flow, in its best round
    own: float = 0.0  # the load generator's


def end_to_end(
    bench: Bench,
    seconds: float,
    crypto: Crypto,
    clients: int = E2E_CLIENTS,
    profile: Path | None = None,
) -> list[Row]:
    """``clients`` wallets and desk pages at once over keep-alive connections; each flow:
    create a request, fetch the request object, post the wallet's answer, read the decision
    (as the desk's page polls it). The desk's CPU per flow is read from its process. Two
    desks share the data directory: the one ``civicid verifier serve`` runs (the hardened
    server, on httptools) and one on uvicorn's own httptools protocol without its guards;
    rounds alternate between them, so the machine's load falls on both alike."""
    port = free_port()
    desks = [Served("hardened (as served)", port, serve_desk(bench, port))]
    profiler = None
    try:
        port = free_port()
        unguarded = serve_desk(bench, port, HTTPTOOLS)
        desks.append(Served("uvicorn httptools, unguarded", port, unguarded))
        if profile is not None:  # py-spy samples the served desk while the flows run
            fmt = "raw" if profile.suffix == ".txt" else "flamegraph"
            spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
            profiler = subprocess.Popen([spy, "record", "--gil", "--rate", "100", "--format",
                                         fmt, "-o", str(profile), "--pid",
                                         str(desks[0].proc.pid)])  # fmt: skip
        flows = max(clients, int(E2E_TARGET * seconds * E2E_SECONDS_FACTOR))
        for _ in range(E2E_ROUNDS):
            for desk in desks:
                rate, cpu, own = http_flows(bench, desk.port, flows, clients, desk.proc.pid)
                if rate > desk.rate:
                    desk.rate, desk.cpu, desk.own = rate, cpu, own
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        for desk in desks:
            desk.proc.terminate()
            desk.proc.wait(timeout=30)
    served, other = desks
    crypto_per_flow = 2 * crypto.sign + 2 * crypto.verify
    return [
        Row(
            PART,
            f"end to end over HTTP, {clients} clients: request → answer → decision",
            served.rate,
            "/s",
            f">= {E2E_TARGET}/s",
            served.rate >= E2E_TARGET,
        ),
        Row(PART, "  desk process CPU per flow", served.cpu * 1000, "ms"),
        Row(PART, "  flows/s per desk core (1 / its CPU per flow)", ratio(1, served.cpu), "/s"),
        Row(
            PART,
            "  its cryptography alone (2 ES256 signs + 2 verifies)",
            crypto_per_flow * 1000,
            "ms",
        ),
        Row(PART, "  desk CPU / its cryptography", served.cpu / crypto_per_flow, "x"),
        Row(
            PART,
            "  load generator CPU per flow (wallet's KB signature included)",
            served.own * 1000,
            "ms",
        ),
        Row(PART, f"  same run, {other.name}: flows/s", other.rate, "/s"),
        Row(PART, f"  same run, {other.name}: desk CPU per flow", other.cpu * 1000, "ms"),
        Row(PART, "  desk CPU per flow: hardened / unguarded", ratio(served.cpu, other.cpu), "x"),
    ]


async def one_flow(conn: Connection, bench: Bench) -> None:
    status, body = await conn.send("POST", "/requests", NEW_REQUEST, "application/json")
    assert status == 201, body
    created = json.loads(body)
    status, token = await conn.send("GET", urlsplit(parse_link(created["link"]).request_uri).path)
    assert status == 200, token
    claims = request_claims(token.decode())
    presentation = present(bench, claims["nonce"], claims["client_id"])
    form = urlencode(
        {"state": claims["state"], "vp_token": json.dumps({"credential": [presentation]})}
    ).encode()
    status, body = await conn.send("POST", urlsplit(claims["response_uri"]).path, form,
                                   "application/x-www-form-urlencoded")  # fmt: skip
    assert status == 200 and json.loads(body)["decision"] == "eligible", body
    status, body = await conn.send("GET", created["status_url"])
    assert status == 200 and json.loads(body)["status"] == "decided", body


def http_flows(
    bench: Bench, port: int, flows: int, clients: int, server_pid: int
) -> tuple[float, float, float]:
    """(flows/s, the desk's and this process's CPU seconds per flow) over the timed window."""

    async def client(count: int) -> None:
        conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
        for _ in range(count):
            await one_flow(conn, bench)
        conn.writer.close()

    done = flows // clients * clients

    async def main() -> tuple[float, float, float]:
        await asyncio.gather(*(client(3) for _ in range(clients)))  # warm-up
        cpu, own, started = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(flows // clients) for _ in range(clients)))
        elapsed = time.perf_counter() - started
        server = (cpu_seconds(server_pid) - cpu) / done
        return done / elapsed, server, (time.process_time() - own) / done

    return asyncio.run(main())


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


PATHS: Final = ("checks", "hostile", "e2e", "cold")


def run(
    seconds: float,
    cold_samples: int = COLD_SAMPLES,
    paths: tuple[str, ...] = PATHS,
    profile_desk: Path | None = None,
) -> list[Row]:
    rows: list[Row] = []
    with world() as bench:
        client_id = f"decentralized_identifier:{bench.desk.did}"
        crypto = crypto_cost(bench, present(bench, new_nonce(), client_id), seconds)
        if "checks" in paths:
            rows += warm_checks(bench, seconds)
        if "hostile" in paths:
            rows += hostile_mix(bench, seconds)
        if "e2e" in paths:
            rows += end_to_end(bench, seconds, crypto, profile=profile_desk)
        if "cold" in paths:
            rows += cold(bench, cold_samples)
    rows.append(
        Row(PART, "machine load (1-minute average, 2 cores) at the end", os.getloadavg()[0], "")
    )
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed round")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    parser.add_argument(
        "--path", choices=PATHS, action="append", help="only this path (again for more)"
    )
    parser.add_argument(
        "--profile-desk",
        type=Path,
        help="record the desk process with py-spy into this file (.svg, or .txt: raw stacks)",
    )
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    paths = tuple(args.path or PATHS)
    if args.smoke:
        rows = run(SMOKE_SECONDS, SMOKE_COLD_SAMPLES, paths)
    else:
        rows = run(args.seconds, paths=paths, profile_desk=args.profile_desk)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
