"""Governance benchmarks: a 1M-entry status list token (build + sign, size, decode + lookup,
publish as one transaction) and the accreditation query rate over HTTP.

Run: ``python -m benchmarks.governance [--subjects 200] [--queries 20000] [--smoke]``
(``--smoke``: a few subjects and queries, to show every step runs; the list stays 1M entries).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import loadgen
from benchmarks.ledger import free_port, serve
from benchmarks.table import Row, render
from civicid import transaction as tx
from civicid.accreditation import grant_body, revocation_body
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.status_list import STATUS_INVALID, StatusList, build_token, status_of, verify_token
from civicid.status_uri import status_service
from civicid.trust import Trust
from ledger.setup import initialize, open_ledger

PART = "governance"
ENTRIES = 1_000_000
REVOKED_SHARE = 0.01
CONNECTIONS = 50
VCT = "https://civicid.example/vct/national-id"
URI = "https://agency.civicid.example/status/1"
REPEATS = 5
TRUST_ASKS = 400  # trust answers the client asks for, each over one HTTP round trip
# A smoke run: enough to take every path (every tenth subject revoked, so more than ten).
SMOKE_SUBJECTS, SMOKE_QUERIES, SMOKE_ASKS = 12, 100, 20


def median_ms(work: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def revoked_list_token(issuer: Identity, revoked: list[int], now: int) -> str:
    """A signed 2-bit list of ENTRIES entries with ``revoked`` set to invalid."""
    status_list = StatusList(ENTRIES, 2)
    for index in revoked:
        status_list.set(index, STATUS_INVALID)
    return build_token(
        key=issuer.key,
        kid=issuer.kid,
        sub=URI,
        status_list=status_list,
        iat=now,
        exp=None,
        ttl=3600,
    )


def status_list_rows(rng: random.Random) -> tuple[list[Row], str, Identity]:
    issuer = Identity.create()
    revoked = rng.sample(range(ENTRIES), int(ENTRIES * REVOKED_SHARE))
    now = int(time.time())
    token = ""

    def build() -> None:
        nonlocal token
        token = revoked_list_token(issuer, revoked, now)

    build_ms = median_ms(build)
    probe = {"status_list": {"idx": revoked[0], "uri": URI}}

    def decode_and_lookup() -> None:
        verified = verify_token(token, issuer.key.public, expected_sub=URI, now=now)
        assert status_of(probe, verified) == STATUS_INVALID

    decode_ms = median_ms(decode_and_lookup)
    verified = verify_token(token, issuer.key.public, expected_sub=URI, now=now)
    picks = [rng.randrange(ENTRIES) for _ in range(100_000)]
    started = time.perf_counter()
    for index in picks:
        verified.status_list.get(index)
    lookup_us = (time.perf_counter() - started) / len(picks) * 1e6
    label = f"{ENTRIES:,} entries, 2 bits, {REVOKED_SHARE:.0%} revoked"
    rows = [
        Row(
            PART, f"status list build + sign, {label}", build_ms, "ms", "<= 1000", build_ms <= 1000
        ),
        Row(
            PART,
            f"status list token size, {label}",
            len(token) / 1024,
            "KiB",
            "<= 256",
            len(token) <= 256 * 1024,
        ),
        Row(
            PART,
            "status list decode (verify + inflate) + lookup",
            decode_ms,
            "ms",
            "<= 100",
            decode_ms <= 100,
        ),
        Row(PART, "status lookup in a decoded list", lookup_us, "µs"),
    ]
    return rows, token, issuer


def run(subjects: int, queries: int, asks: int = TRUST_ASKS) -> list[Row]:
    rng = random.Random(7)  # the same revoked indices on every run
    rows, _, _ = status_list_rows(rng)
    root = Path(tempfile.mkdtemp(prefix="civicid-bench-gov-"))
    try:
        genesis = initialize(root)
        gov, origin = genesis.governance, genesis.origin
        ledger = open_ledger(root)
        now = int(time.time())
        agencies = []
        for n in range(subjects):
            # Each names the base URL its status lists live under (civicid/status_uri.py).
            who = Identity.create(services=[status_service("https://agency.civicid.example")])
            endorsement = gov.endorse(who.did, "agency", ledger=origin)
            ledger.submit(who.create_tx(role="agency", endorsement=endorsement, ledger=origin))
            body = grant_body(
                who.did,
                credential_types=[VCT, f"{VCT}/{n}"],
                valid_from=now,
                valid_until=now + 365 * 86400,
                purpose="benchmark",
                legal_basis="benchmark",
            )
            ledger.submit(gov.sign(tx.ACCREDITATION_GRANT, body, ledger=origin))
            if n % 10 == 0:  # every tenth revoked: answers then carry two entries
                revoke = revocation_body(body["accreditation"], "benchmark")
                ledger.submit(gov.sign(tx.ACCREDITATION_REVOKE, revoke, ledger=origin))
            agencies.append(who)

        # One transaction publishes (or updates) the whole 1M-entry list, fsync included.
        publisher = agencies[1]
        token = revoked_list_token(
            publisher, rng.sample(range(ENTRIES), int(ENTRIES * REVOKED_SHARE)), now
        )
        text = publisher.sign(tx.STATUS_LIST, {"uri": URI, "token": token}, ledger=origin)
        started = time.perf_counter()
        ledger.submit(text)
        publish_ms = (time.perf_counter() - started) * 1000
        rows.append(
            Row(
                PART,
                "status list publish (1M entries, one tx, durable)",
                publish_ms,
                "ms",
                "<= 500",
                publish_ms <= 500,
            )
        )
        size = ledger.size
        ledger.close()

        port = free_port()
        server = serve(root, port)
        try:
            gets = [
                loadgen.request(
                    "GET",
                    "/accreditations?"
                    + urlencode({"subject": rng.choice(agencies).did, "vct": VCT, "at": now + 60}),
                )
                for _ in range(queries)
            ]
            per_conn = [gets[i::CONNECTIONS] for i in range(CONNECTIONS)]
            loadgen.run("127.0.0.1", port, [c[:20] for c in per_conn])  # warm up
            result = loadgen.run("127.0.0.1", port, per_conn)
            ok = result.statuses.get(200, 0) == len(gets)
            p99 = result.percentile(99) * 1000
            rows.append(
                Row(
                    PART,
                    f"accreditation query over HTTP, {CONNECTIONS} connections, {size:,} entries",
                    result.rate,
                    "q/s",
                    ">= 1000",
                    ok and result.rate >= 1000,
                )
            )
            rows.append(
                Row(PART, "accreditation query p99 latency", p99, "ms", "<= 100", p99 <= 100)
            )
            raw = [
                loadgen.request("GET", "/status-lists?" + urlencode({"uri": URI})).replace(
                    b"\r\n\r\n", b"\r\nAccept: application/statuslist+jwt\r\n\r\n"
                )
                for _ in range(queries // 10)
            ]
            result = loadgen.run(
                "127.0.0.1", port, [raw[i::CONNECTIONS] for i in range(CONNECTIONS)]
            )
            ok = result.statuses.get(200, 0) == len(raw)
            rows.append(
                Row(
                    PART,
                    "status list token fetch over HTTP (1M entries)",
                    result.rate,
                    "req/s",
                    "all 200",
                    ok,
                )
            )
            url = f"http://127.0.0.1:{port}"
            rows += client_trust_rows(url, genesis.vkey, agencies, now, asks)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def client_trust_rows(
    url: str, vkey: str, agencies: list[Identity], now: int, count: int
) -> list[Row]:
    """Trust answers as a verifying client gets them, each over HTTP with every proof checked
    (inclusion, state map, governance's signature; histories and signatures verified once):
    asked of the registry client directly, then through the trust package the parts use
    (the same questions: the package must not cost more than 10%); then remembered by the
    package's memory of answers (30 s maximum age)."""
    rng = random.Random(11)
    asks = [rng.choice(agencies).did for _ in range(count)]

    def rate(ask: Callable[[str], object], dids: list[str]) -> float:
        for did in set(dids):  # warm: each history and grant verified once
            ask(did)
        started = time.perf_counter()
        for did in dids:
            ask(did)
        return len(dids) / (time.perf_counter() - started)

    with LedgerClient(url, vkey) as client:
        direct = rate(lambda did: client.issuer_accredited(did, VCT, now + 60), asks)
    with LedgerClient(url, vkey) as client:
        trust = Trust(client)
        package = rate(lambda did: trust.issuer_standing(did, VCT, now + 60), asks)
    with LedgerClient(url, vkey) as client:
        trust = Trust(client)
        cached = rate(lambda did: trust.issuer_standing(did, VCT, now + 60, max_age=30), asks * 50)
    return [
        Row(PART, "trust answer verified by the registry client (HTTP each)", direct, "ans/s"),
        Row(PART, "same, through the trust package (HTTP each)", package, "ans/s"),
        Row(
            PART,
            "trust package / registry client",
            package / direct,
            "x",
            ">= 0.9",
            package / direct >= 0.9,
        ),
        Row(PART, "trust answer remembered by the trust package (30 s)", cached, "ans/s"),
    ]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=200, help="accredited agencies")
    parser.add_argument("--queries", type=int, default=20_000, help="HTTP queries to send")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes the ledger's options too
    if args.smoke:
        rows = run(SMOKE_SUBJECTS, SMOKE_QUERIES, SMOKE_ASKS)
    else:
        rows = run(args.subjects, args.queries)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
