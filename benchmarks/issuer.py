"""Issuer benchmarks: credentials issued per second end to end over HTTP (staff creates the
offer -> token -> nonce -> credential), in-process issue+sign alone and the ratio of the
two; revocation to visible on the ledger; store bytes per issuance and append cost at 100k
issuances vs 1k.

Run: ``python -m benchmarks.issuer [--issuances 2000] [--clients 32] [--batch 4] [--smoke]``
(``--smoke``: a few issuances and a small store, to show every step runs). The issuer runs as
its own process (``civicid issuer serve``); the ledger and the load generator share this one.
Its CPU per issuance is set beside the same issuance's cryptography alone, measured in the
same run. ``--http-only --profile FILE.svg``: that part alone, the server sampled by py-spy
(docs/performance/README.md, "Issuance"). ``--app-only``: the app's own CPU per issuance
in process, served as it is and through its framework routes in alternating rounds
(``issuer_app``), then the store's writer alone, statement by statement (``issuer_writer``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.issuer_batch import batch_rows
from benchmarks.issuer_floor import MODES as FLOOR_MODES
from benchmarks.issuer_floor import serve_floor
from benchmarks.issuer_profile import breakdown, profiling, render_threads
from benchmarks.issuer_profile import render as render_profile
from benchmarks.issuer_writer import GROUP, writer_rows
from benchmarks.loadgen import Connection, cpu_seconds
from benchmarks.table import Row, ratio, render
from civicid import sdjwt
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.identity import Identity
from civicid.jose import CompactJWS, PrivateKey
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.oid4vci import PRE_AUTHORIZED_GRANT, build_proof_jwt
from civicid.status_list import STATUS_INVALID
from civicid.status_uri import status_service
from cli.harness import free_port, serving, wait_until_healthy

PART = "issuer"
ROOT = Path(__file__).parents[1]
TYPES = ROOT / "examples" / "types"
VCT = "https://civicid.example/vct/national-id"
CONFIG = "national-id"
CLAIMS = "national-id.claims.json"
JSON_TYPE = "application/json"
TARGET = 500  # issuances/s end to end over HTTP, load generator on the same 2 cores
CPU_TARGET_MS = 1.5  # the issuer server's CPU per issuance (its cryptography is ~0.5 ms)
# Copies per issuance: a wallet asks for the configuration's batch (``batch_size`` below),
# each copy bound to its own key, so that no two presentations need share a credential.
BATCH = 4
CRYPTO_SECONDS = 1.0  # the round timing the cryptography alone
SERVER_CPU = "issuer server CPU per issuance"
STORE_LARGE = 100_000  # issuances in the store when its append cost is measured again
SIGN_SECONDS = 2.0  # the in-process issue+sign round
WARM_ISSUANCES = 5  # per client before an end-to-end window, outside it
# --compare-servers: the servers take turns this many times (the machine's load drifts; each
# server's figure is its mean over rounds spread across the whole comparison).
COMPARE_ROUNDS = 4
# --app-only: the app as served and through the framework's routes take turns this many times.
APP_ROUNDS = 4
BATCH_CALLS = 1_000  # SD-JWT batches a round of the batch alone (issuer_batch) times
# A smoke run: every step at a size that takes seconds (its figures mean nothing).
SMOKE_ISSUANCES, SMOKE_CLIENTS, SMOKE_STORE, SMOKE_SIGN_SECONDS = 8, 2, 2_000, 0.1
SMOKE_CRYPTO_SECONDS = 0.05
PUBLIC_URL = "https://issuer.bench.example"  # the agency's base URL: its status lists live under it


def load(name: str) -> Any:
    return json.loads((TYPES / name).read_text("utf-8"))


# -- set-up: a ledger with an accredited agency and the national-ID type, an issuer on it --


def prepare(root: Path, ledger_url: str, vkey: str, governance: Identity, origin: str) -> str:
    """Register and accredit an agency, register the type, ``issuer init``; the clerk key."""
    from issuer.settings import ConfigurationSettings
    from issuer.setup import add_clerk, initialize

    client = LedgerClient(ledger_url, vkey)
    # The agency's first document names the base URL its status lists live under, as
    # `ledger register --service` does: the ledger refuses a list URI outside it.
    agency = Identity.create(services=[status_service(PUBLIC_URL)])
    endorsement = governance.endorse(agency.did, "agency", ledger=origin)
    client.submit(agency.create_tx(role="agency", endorsement=endorsement, ledger=origin))
    now = int(time.time())
    grant = grant_body(
        agency.did,
        credential_types=[VCT],
        valid_from=now - 60,
        valid_until=now + 365 * 86400,
        purpose="Issue national identity credentials",
        legal_basis="Digital Identity Act 2026, s. 12",
    )
    client.submit(governance.sign(tx.ACCREDITATION_GRANT, grant, ledger=origin))
    metadata, schema = load("national-id.metadata.json"), load("national-id.schema.json")
    body = {"vct": VCT, "metadata": metadata, "schema": schema}
    client.submit(agency.sign(tx.CREDENTIAL_TYPE, body, ledger=origin))
    client.close()
    KeyStore(root / "keys").put("agency", agency.to_json())
    done = initialize(
        root,
        configurations=[ConfigurationSettings(id=CONFIG, vct=VCT, batch_size=BATCH)],
        public_url=PUBLIC_URL,
        ledger_url=ledger_url,
        checkpoint_key=vkey,
        identity="agency",
    )
    return add_clerk(done.settings, "bench", ["issue", "revoke"]).api_key


def serve_issuer(root: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "issuer", "serve", "--data-dir", str(root)]
    proc = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT)
    wait_until_healthy(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)
    return proc


# -- the load generator: a wallet and a clerk per connection, raw HTTP/1.1 keep-alive --------


async def issue_one(
    conn: Connection, api_key: str, claims: bytes, keys: list[PrivateKey], aud: str
) -> None:
    """One issuance: a batch of copies, one per holder key in ``keys``."""
    status, body = await conn.send(
        "POST", "/staff/offers", claims, JSON_TYPE, {"Authorization": f"Bearer {api_key}"}
    )
    assert status == 201, body
    made = json.loads(body)
    code = made["credentialOffer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = urlencode(
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": made["txCode"]}
    ).encode()
    status, body = await conn.send("POST", "/token", form, "application/x-www-form-urlencoded")
    assert status == 200, body
    access = json.loads(body)["access_token"]
    status, body = await conn.send("POST", "/nonce")
    nonce = json.loads(body)["c_nonce"]
    now = int(time.time())
    proofs = [build_proof_jwt(key, aud=aud, nonce=nonce, iat=now) for key in keys]
    request = json.dumps(
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": proofs}}
    ).encode()
    status, body = await conn.send(
        "POST", "/credential", request, JSON_TYPE, {"Authorization": f"Bearer {access}"}
    )
    assert status == 200, body
    issued = json.loads(body)["credentials"]
    assert len(issued) == len(keys) and all(c["credential"].endswith("~") for c in issued)


class Recording(Connection):
    """A connection that keeps each answer it reads, by method and path."""

    answers: list[tuple[str, str, int, str]]

    async def send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        status, answer = await super().send(method, path, body, content_type, headers)
        self.answers.append((method, path, status, answer.decode("utf-8")))
        return status, answer


def record_answers(port: int, api_key: str, aud: str, batch: int, into: Path) -> None:
    """One issuance's four answers from the server on ``port``, written to ``into`` (JSON)."""

    async def main() -> None:
        conn = Recording(*await asyncio.open_connection("127.0.0.1", port))
        conn.answers = []
        body = {"configuration": CONFIG, "record": "B-recorded", "claims": load(CLAIMS)}
        keys = [PrivateKey.generate() for _ in range(batch)]
        await issue_one(conn, api_key, json.dumps(body).encode(), keys, aud)
        conn.writer.close()
        into.write_text(json.dumps(conn.answers), "utf-8")

    asyncio.run(main())


def floor_seconds(port: int, api_key: str, opts: Options) -> dict[str, float]:
    """Server CPU seconds per issuance of each floor (``issuer_floor.MODES``): the same four
    round trips answered with the issuer's own answers by a bare echo server (what the
    sockets and the event loop cost on this machine), and by the shell's guarded server with
    a bare app (what the served stack costs before the issuer's app does anything)."""
    used: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="civicid-issuer-floor-") as scratch:
        answers = Path(scratch) / "answers.json"
        record_answers(port, api_key, PUBLIC_URL, opts.batch, answers)
        for mode in FLOOR_MODES:
            floor_port = free_port()
            server = serve_floor(answers, floor_port, ROOT, mode)
            try:
                _, used[mode], _ = end_to_end(
                    floor_port,
                    api_key,
                    PUBLIC_URL,
                    opts.issuances,
                    opts.clients,
                    server.pid,
                    opts.batch,
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
    return used


def end_to_end(
    port: int,
    api_key: str,
    aud: str,
    issuances: int,
    clients: int,
    server_pid: int,
    batch: int = BATCH,
    profile: Path | None = None,
    warm: bool = True,
) -> tuple[float, float, float]:
    """(issuances/s, the server's and this process's CPU seconds per issuance) over the
    timed window; with ``profile``, the server sampled over it (``issuer_profile``).
    ``warm``: a few issuances per client first, outside the window."""
    # Each connection is one wallet; as a wallet does (wallet/holder/issuance.py), it draws
    # fresh holder keys for every issuance, one per copy, so the issuer reads and checks each
    # key anew. Drawn here, before the timed window: the load generator's CPU is not the
    # server's.
    per_client = issuances // clients + (WARM_ISSUANCES if warm else 0)
    keys = [
        [[PrivateKey.generate() for _ in range(batch)] for _ in range(per_client)]
        for _ in range(clients)
    ]
    claims = load(CLAIMS)

    async def client(n: int, count: int) -> None:
        conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
        for i in range(count):
            body = {"configuration": CONFIG, "record": f"B-{n}-{i}", "claims": claims}
            await issue_one(conn, api_key, json.dumps(body).encode(), keys[n].pop(), aud)
        conn.writer.close()

    done = issuances // clients * clients

    async def main() -> tuple[float, float, float]:
        if warm:
            await asyncio.gather(*(client(n, WARM_ISSUANCES) for n in range(clients)))
        with contextlib.ExitStack() as stack:
            sampled = stack.enter_context(profiling(server_pid, profile)) if profile else None
            cpu, own, started = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
            await asyncio.gather(*(client(n, issuances // clients) for n in range(clients)))
            elapsed = time.perf_counter() - started
            server, generator = cpu_seconds(server_pid) - cpu, time.process_time() - own
        if sampled is not None:
            print(f"where the issuer server's CPU went (py-spy: {profile}):")
            print(render_profile(breakdown(sampled.folded), server / done * 1000))
            print(f"the same samples as folded stacks: {sampled.folded}")
            print("the issuer server's CPU by thread:")
            print(render_threads(sampled.threads, server_pid, done))
        return done / elapsed, server / done, generator / done

    try:
        import uvloop

        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())


# -- in-process ---------------------------------------------------------------------------


def issue_and_sign_rate(seconds: float) -> float:
    """``sdjwt.issue`` of the national ID as the issuer makes it: 15 disclosable paths."""
    from issuer.credential_types import claim_paths

    key, holder = PrivateKey.generate(), PrivateKey.generate()
    claims = load("national-id.claims.json")
    paths = list(claim_paths(claims, ()))
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        sdjwt.issue(
            issuer_key=key,
            kid="did:civicid:bench#key-1",
            iss="did:civicid:bench",
            claims=claims,
            disclosable=paths,
            iat=int(time.time()),
            exp=int(time.time()) + 86400,
            vct=VCT,
            cnf_jwk=holder.public.to_jwk(),
            status={"status_list": {"idx": count, "uri": "https://issuer.example/status/1"}},
        )
        count += 1
    return count / (time.perf_counter() - started)


def crypto_seconds(batch: int, seconds: float) -> float:
    """CPU seconds of an issuance's cryptography alone, as the issuer does it (``civicid.jose``
    over the same libraries): ``batch`` proof signature checks and ``batch`` ES256 signatures
    of a credential-sized payload."""
    holder, agency = PrivateKey.generate(), PrivateKey.generate()
    proof = CompactJWS.parse(
        build_proof_jwt(holder, aud=PUBLIC_URL, nonce="n" * 32, iat=int(time.time()))
    )
    payload = json.dumps({"_sd": ["x" * 43] * 16, "iss": "did:civicid:bench"}).encode()
    count, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for _ in range(batch):
            proof.verify_with(holder.public)
            agency.sign_compact(payload, {"typ": "dc+sd-jwt", "kid": "did:civicid:bench#k"})
        count += 1
    return (time.process_time() - started) / count


def revocation_visible(port: int, api_key: str, client: LedgerClient, rounds: int = 5) -> float:
    """Staff revoke -> publish -> a verifier's proven read of the list shows it (median ms)."""
    import httpx

    staff = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"authorization": f"Bearer {api_key}"}
    )
    listed = staff.get("/staff/credentials", params={"limit": rounds}).json()["credentials"]
    times = []
    for item in listed[:rounds]:
        started = time.perf_counter()
        staff.post(f"/staff/credentials/{item['id']}/revoke").raise_for_status()
        staff.post("/staff/publish").raise_for_status()
        copy = item["copies"][0]
        assert client.status_list(copy["uri"]).status(copy["idx"]) == STATUS_INVALID
        times.append((time.perf_counter() - started) * 1000)
    staff.close()
    return statistics.median(times)


def store_append(root: Path, large: int = STORE_LARGE) -> tuple[float, float, int]:
    """Issuance-shaped writes (offer, issuance with 2 copies, audit) with 16 threads, at ~1k
    and at ~``large`` issuances: (rate at 1k, rate at ``large``, ``large``)."""
    from issuer.records import AuditEvent, Issued, Offer
    from issuer.store import Audit, Op, PutIssued, PutOffer, SqliteStore

    store = SqliteStore(root / "store-bench", create=True)
    counter = iter(range(10**9))

    def ops() -> list[Op]:
        n = next(counter)
        offer = Offer(
            id=f"o{n}",
            record=f"R-{n}",
            configuration=CONFIG,
            vct=VCT,
            claims=None,
            code_hash=secrets.token_hex(32),
            code=None,
            tx_code_hash=None,
            created=n,
            expires=n,
            clerk="bench",
            state="issued",
            credential=f"i{n}",
        )
        issued = Issued(
            id=f"i{n}",
            offer=offer.id,
            record=offer.record,
            configuration=CONFIG,
            vct=VCT,
            iat=n,
            exp=n,
            status=0,
            slots=(
                (n // 100_000 + 1, (2 * n) % 100_000),
                (n // 100_000 + 1, (2 * n + 1) % 100_000),
            ),
            clerk="bench",
        )
        event = AuditEvent(at=n, actor="wallet", action="credential.issue", subject=issued.id)
        return [PutOffer(offer), PutIssued(issued), Audit(event)]

    def timed(count: int, threads: int = 16) -> float:
        def work() -> None:
            for _ in range(count // threads):
                store.write(ops())

        pool = [threading.Thread(target=work) for _ in range(threads)]
        started = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return (count // threads * threads) / (time.perf_counter() - started)

    try:
        for _ in range(1000 // 200):
            store.write([op for _ in range(200) for op in ops()])
        # fsync times wander on a shared disk: the best of three windows at each size.
        window = min(2000, large // 10)
        small = max(timed(window) for _ in range(3))
        while store.counts()["issued"] < large:
            store.write([op for _ in range(2000) for op in ops()])
        big = max(timed(window) for _ in range(3))
        return small, big, store.counts()["issued"]
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class Options:
    issuances: int
    clients: int
    batch: int = BATCH
    store_large: int = STORE_LARGE
    sign_seconds: float = SIGN_SECONDS
    crypto_seconds: float = CRYPTO_SECONDS
    http_only: bool = False  # the end-to-end rows alone (what --profile is for)
    profile: Path | None = None
    compare_servers: bool = False  # the same issuance behind the other parser and plain uvicorn
    app_only: bool = False  # the app alone in process, beside its framework routes (no server)
    app_rounds: int = APP_ROUNDS


def http_rows(port: int, api_key: str, server_pid: int, opts: Options) -> list[Row]:
    """Issuance end to end, the server's CPU for it, and the same issuance's cryptography
    alone measured in this run: how near the server is to its limit on any machine."""
    load = Path("/proc/loadavg").read_text().split()[0]
    rate, cpu, generator = end_to_end(
        port,
        api_key,
        PUBLIC_URL,
        opts.issuances,
        opts.clients,
        server_pid,
        opts.batch,
        opts.profile,
    )
    crypto = crypto_seconds(opts.batch, opts.crypto_seconds)
    floors = floor_seconds(port, api_key, opts)
    floor, served = floors["echo"], floors["served"]
    cpu_ms = cpu * 1000
    rows = [
        Row(
            PART,
            f"issuances/s end to end over HTTP ({opts.clients} clients, {opts.batch} copies "
            "each; offer, token, nonce, credential)",
            rate,
            "/s",
            f">= {TARGET}",
            rate >= TARGET,
        ),
        Row(PART, f"  (machine load average at the start: {load})", float(load), ""),
        Row(
            PART,
            SERVER_CPU,
            cpu_ms,
            "ms",
            f"<= {CPU_TARGET_MS}",
            cpu_ms <= CPU_TARGET_MS,
        ),
        Row(
            PART,
            f"its cryptography alone ({opts.batch} proof verifies + {opts.batch} ES256 signatures)",
            crypto * 1000,
            "ms",
        ),
        Row(PART, "server CPU per issuance / its cryptography alone", cpu / crypto, "x"),
        Row(
            PART,
            "floor: a bare echo server's CPU for the same four round trips (sockets, event loop)",
            floor * 1000,
            "ms",
        ),
        Row(
            PART,
            "  the shell's guarded server with a bare app, the same four round trips",
            served * 1000,
            "ms",
        ),
        Row(
            PART,
            "floor + cryptography: the least an issuance can cost here",
            (floor + crypto) * 1000,
            "ms",
        ),
        Row(PART, "server CPU per issuance / (floor + cryptography)", cpu / (floor + crypto), "x"),
        Row(PART, "  the served stack above the floor", (served - floor) * 1000, "ms"),
        Row(
            PART,
            "  the issuer's app above the served stack and its cryptography",
            (cpu - served - crypto) * 1000,
            "ms",
        ),
        Row(PART, "load generator (wallet + clerk) CPU per issuance", generator * 1000, "ms"),
        Row(
            PART,
            "issuances/s one server core sustains (1 / CPU per issuance)",
            ratio(1, cpu),
            "/s",
            f">= {TARGET}",
            ratio(1, cpu) >= TARGET,
        ),
    ]
    return rows


def store_rows(root: Path, store_large: int) -> list[Row]:
    from issuer.store import DB_FILE, SqliteStore

    store = SqliteStore(root / "issuer", exclusive=False)
    issued = store.counts()["issued"]
    store.maintain()
    size = sum(p.stat().st_size for p in (root / "issuer").glob(DB_FILE + "*"))
    store.close()
    small, large, count = store_append(root, store_large)
    return [
        Row(PART, "store bytes per issuance (offer, credential, audit)", size / issued, "B"),
        Row(PART, "store append at 1k issuances, 16 threads", small, "/s"),
        Row(
            PART,
            f"store append cost at {count:,} vs 1k issuances",
            small / large,
            "x",
            "<= 1.3",
            small / large <= 1.3,
        ),
    ]


def service_rows(
    port: int, api_key: str, client: LedgerClient, rate: float, opts: Options
) -> list[Row]:
    alone = issue_and_sign_rate(opts.sign_seconds)
    visible = revocation_visible(port, api_key, client)
    return [
        Row(PART, "in-process issue+sign alone (national ID)", alone, "/s"),
        Row(PART, "end to end / in-process issue+sign", rate / alone, "x"),
        Row(
            PART,
            "revocation to visible on the ledger (revoke, publish, proven read)",
            visible,
            "ms",
            "<= 1000",
            visible <= 1000,
        ),
    ]


def server_rows(root: Path, api_key: str, opts: Options) -> list[Row]:
    """The issuance over the same app behind the real server and others (``issuer_servers``),
    in alternating rounds, each server started afresh on the store (one serving process at a
    time holds it): each one's CPU per issuance, its mean over rounds spread across the
    comparison, so a load that drifts during the run weighs on each alike."""
    from benchmarks.issuer_servers import SERVERS, serve_other
    from civicid.shell.server import PARSER

    served = f"the shell's guarded server, {PARSER}"
    contenders = [(served, PARSER, True), *SERVERS]
    per_round = max(opts.clients, opts.issuances // COMPARE_ROUNDS)
    used = {name: 0.0 for name, *_ in contenders}
    for _ in range(COMPARE_ROUNDS):
        for name, protocol, guarded in contenders:
            port = free_port()
            server = serve_other(root, port, protocol, guarded, ROOT)
            try:
                _, cpu, _ = end_to_end(
                    port, api_key, PUBLIC_URL, per_round, opts.clients, server.pid, opts.batch
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
            used[name] += cpu / COMPARE_ROUNDS
    rows = [
        Row(
            PART,
            f"server CPU per issuance, {COMPARE_ROUNDS} alternating rounds of {per_round} each:",
            float(COMPARE_ROUNDS),
            "",
        )
    ]
    for name, cpu in used.items():
        rows.append(Row(PART, f"  {name}", cpu * 1000, "ms"))
        if name != served:
            rows.append(Row(PART, f"    {served} / this", ratio(used[served], cpu), "x"))
    return rows


def app_rows(root: Path, api_key: str, opts: Options) -> list[Row]:
    """The app's own CPU per issuance in process (``issuer_app``), served as it is and
    through the framework's routes in alternating rounds, beside its cryptography alone."""
    from benchmarks.issuer_app import MODES, app_cpu
    from issuer.app import create_app
    from issuer.service import Issuer
    from issuer.settings import IssuerSettings

    issuer = Issuer.open(IssuerSettings.load(root))
    try:
        app = create_app(issuer=issuer, background=False)
        app.state.issuer = issuer  # as its lifespan sets it
        per_round = max(opts.clients, opts.issuances // opts.app_rounds)
        used = app_cpu(
            app,
            api_key,
            load("national-id.claims.json"),
            PUBLIC_URL,
            CONFIG,
            issuances=per_round,
            rounds=opts.app_rounds,
            clients=opts.clients,
        )
    finally:
        issuer.close()
    crypto = crypto_seconds(opts.batch, opts.crypto_seconds) * 1000
    rows = [
        Row(
            PART,
            f"the app alone in process, CPU per issuance, {opts.app_rounds} alternating rounds "
            f"of {per_round} (event loop + store writer):",
            float(opts.app_rounds),
            "",
        )
    ]
    mean = {mode: sum(c.total for c in cpus) / len(cpus) for mode, cpus in used.items()}
    for mode, cpus in used.items():
        spread = ", ".join(f"{c.total:.2f}" for c in cpus)
        rows.append(Row(PART, f"  {mode} (rounds: {spread})", mean[mode], "ms"))
        writer = sum(c.writer for c in cpus) / len(cpus)
        rows.append(Row(PART, "    of which the store's writer thread", writer, "ms"))
        rows.append(Row(PART, "    / its cryptography alone", mean[mode] / crypto, "x"))
    rows.append(Row(PART, "  the app / its framework routes", mean[MODES[0]] / mean[MODES[1]], "x"))
    rows += batch_rows(load(CLAIMS), max(1, min(opts.issuances, BATCH_CALLS)))
    return rows + writer_rows(max(opts.issuances, GROUP), load(CLAIMS))


def run(opts: Options) -> list[Row]:
    from ledger.app import create_app
    from ledger.settings import LedgerSettings
    from ledger.setup import initialize as ledger_init

    rows: list[Row] = []
    root = Path(tempfile.mkdtemp(prefix="civicid-issuer-bench-"))
    try:
        genesis = ledger_init(root)
        with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as ledger_url:
            api_key = prepare(root, ledger_url, genesis.vkey, genesis.governance, genesis.origin)
            if not opts.app_only:
                port = free_port()
                server = serve_issuer(root, port)
                try:
                    rows += http_rows(port, api_key, server.pid, opts)
                    if not opts.http_only:
                        client = LedgerClient(ledger_url, genesis.vkey)
                        rows += service_rows(port, api_key, client, rows[0].value, opts)
                        client.close()
                finally:
                    server.terminate()
                    server.wait(timeout=30)
            if opts.compare_servers:
                rows += server_rows(root, api_key, opts)
            if opts.app_only or not opts.http_only:
                rows += app_rows(root, api_key, opts)
        if opts.http_only or opts.app_only:
            return rows
        rows += store_rows(root, opts.store_large)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issuances", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--batch", type=int, default=BATCH, help="copies per issuance")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    parser.add_argument(
        "--http-only", action="store_true", help="only issuance over HTTP and its cryptography"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="SVG",
        help="sample the server with py-spy over the timed window: a flame graph in SVG",
    )
    parser.add_argument(
        "--app-only",
        action="store_true",
        help="only the app's own CPU per issuance in process, beside its framework routes, "
        "and the store's writer alone, statement by statement",
    )
    parser.add_argument(
        "--compare-servers",
        action="store_true",
        help="also serve the same app with the other parser (guarded) and by uvicorn's plain "
        "h11 and httptools (unguarded)",
    )
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    if args.smoke:
        opts = Options(
            SMOKE_ISSUANCES,
            SMOKE_CLIENTS,
            args.batch,
            SMOKE_STORE,
            SMOKE_SIGN_SECONDS,
            SMOKE_CRYPTO_SECONDS,
            app_rounds=1,
        )
    else:
        opts = Options(
            args.issuances,
            args.clients,
            args.batch,
            http_only=args.http_only,
            profile=args.profile,
            compare_servers=args.compare_servers,
            app_only=args.app_only,
        )
    rows = run(opts)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
