"""Issuer benchmarks: credentials issued per second end to end over HTTP (staff creates the
offer -> token -> nonce -> credential), in-process issue+sign alone and the ratio of the
two; revocation to visible on the ledger; store bytes per issuance and append cost at 100k
issuances vs 1k.

Run: ``python -m benchmarks.issuer [--issuances 2000] [--clients 32] [--smoke]`` (``--smoke``:
a few issuances and a small store, to show every step runs). The issuer runs as
its own process (``civicid issuer serve``); the ledger and the load generator share this one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.table import Row, render
from civicid import sdjwt
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.identity import Identity
from civicid.jose import PrivateKey
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
TARGET = 300  # issuances/s end to end over HTTP, load generator on the same 2 cores
STORE_LARGE = 100_000  # issuances in the store when its append cost is measured again
SIGN_SECONDS = 2.0  # the in-process issue+sign round
# A smoke run: every step at a size that takes seconds (its figures mean nothing).
SMOKE_ISSUANCES, SMOKE_CLIENTS, SMOKE_STORE, SMOKE_SIGN_SECONDS = 8, 2, 2_000, 0.1
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
        configurations=[ConfigurationSettings(id=CONFIG, vct=VCT, batch_size=4)],
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


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(head.encode() + b"\r\n" + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


async def issue_one(
    conn: Connection, api_key: str, claims: bytes, key: PrivateKey, aud: str
) -> None:
    json_type = {"Content-Type": "application/json"}
    status, body = await conn.send(
        "POST", "/staff/offers", claims, {**json_type, "Authorization": f"Bearer {api_key}"}
    )
    assert status == 201, body
    made = json.loads(body)
    code = made["credentialOffer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = urlencode(
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": made["txCode"]}
    ).encode()
    status, body = await conn.send(
        "POST", "/token", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200, body
    access = json.loads(body)["access_token"]
    status, body = await conn.send("POST", "/nonce")
    nonce = json.loads(body)["c_nonce"]
    proof = build_proof_jwt(key, aud=aud, nonce=nonce, iat=int(time.time()))
    request = json.dumps(
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}
    ).encode()
    status, body = await conn.send(
        "POST", "/credential", request, {**json_type, "Authorization": f"Bearer {access}"}
    )
    assert status == 200, body
    assert json.loads(body)["credentials"][0]["credential"].endswith("~")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def end_to_end(
    port: int, api_key: str, aud: str, issuances: int, clients: int, server_pid: int
) -> tuple[float, float, float]:
    """(issuances/s, the server's and this process's CPU seconds per issuance) over the
    timed window."""
    keys = [PrivateKey.generate() for _ in range(clients)]  # one holder key per connection
    claims = load("national-id.claims.json")

    async def client(n: int, count: int) -> None:
        conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
        for i in range(count):
            body = {"configuration": CONFIG, "record": f"B-{n}-{i}", "claims": claims}
            await issue_one(conn, api_key, json.dumps(body).encode(), keys[n], aud)
        conn.writer.close()

    done = issuances // clients * clients

    async def main() -> tuple[float, float, float]:
        await asyncio.gather(*(client(n, 5) for n in range(clients)))  # warm-up
        cpu, own, started = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(n, issuances // clients) for n in range(clients)))
        elapsed = time.perf_counter() - started
        server = (cpu_seconds(server_pid) - cpu) / done
        return done / elapsed, server, (time.process_time() - own) / done

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


def run(
    issuances: int,
    clients: int,
    store_large: int = STORE_LARGE,
    sign_seconds: float = SIGN_SECONDS,
) -> list[Row]:
    from ledger.app import create_app
    from ledger.settings import LedgerSettings
    from ledger.setup import initialize as ledger_init

    rows: list[Row] = []
    root = Path(tempfile.mkdtemp(prefix="civicid-issuer-bench-"))
    try:
        genesis = ledger_init(root)
        with serving(create_app(LedgerSettings(data_dir=root)), free_port()) as ledger_url:
            api_key = prepare(root, ledger_url, genesis.vkey, genesis.governance, genesis.origin)
            port = free_port()
            server = serve_issuer(root, port)
            try:
                aud = PUBLIC_URL
                load = Path("/proc/loadavg").read_text().split()[0]
                rate, cpu, generator = end_to_end(
                    port, api_key, aud, issuances, clients, server.pid
                )
                rows.append(
                    Row(
                        PART,
                        f"issuances/s end to end over HTTP ({clients} clients; offer, token, "
                        "nonce, credential)",
                        rate,
                        "/s",
                        f">= {TARGET}",
                        rate >= TARGET,
                    )
                )
                rows.append(
                    Row(PART, f"  (machine load average at the start: {load})", float(load), "")
                )
                rows.append(Row(PART, "issuer server CPU per issuance", cpu * 1000, "ms"))
                rows.append(
                    Row(
                        PART,
                        "load generator (wallet + clerk) CPU per issuance",
                        generator * 1000,
                        "ms",
                    )
                )
                rows.append(
                    Row(
                        PART,
                        "issuances/s one server core sustains (1 / CPU per issuance)",
                        1 / cpu,
                        "/s",
                        f">= {TARGET}",
                        1 / cpu >= TARGET,
                    )
                )
                alone = issue_and_sign_rate(sign_seconds)
                rows.append(Row(PART, "in-process issue+sign alone (national ID)", alone, "/s"))
                rows.append(Row(PART, "end to end / in-process issue+sign", rate / alone, "x"))
                client = LedgerClient(ledger_url, genesis.vkey)
                visible = revocation_visible(port, api_key, client)
                client.close()
                rows.append(
                    Row(
                        PART,
                        "revocation to visible on the ledger (revoke, publish, proven read)",
                        visible,
                        "ms",
                        "<= 1000",
                        visible <= 1000,
                    )
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
        from issuer.store import DB_FILE, SqliteStore

        store = SqliteStore(root / "issuer", exclusive=False)
        issued = store.counts()["issued"]
        store.maintain()
        size = sum(p.stat().st_size for p in (root / "issuer").glob(DB_FILE + "*"))
        store.close()
        rows.append(
            Row(PART, "store bytes per issuance (offer, credential, audit)", size / issued, "B")
        )
        small, large, count = store_append(root, store_large)
        rows.append(Row(PART, "store append at 1k issuances, 16 threads", small, "/s"))
        rows.append(
            Row(
                PART,
                f"store append cost at {count:,} vs 1k issuances",
                small / large,
                "x",
                "<= 1.3",
                small / large <= 1.3,
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issuances", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    if args.smoke:
        rows = run(SMOKE_ISSUANCES, SMOKE_CLIENTS, SMOKE_STORE, SMOKE_SIGN_SECONDS)
    else:
        rows = run(args.issuances, args.clients)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
