"""Transparency page benchmark: the time to render ``GET /transparency`` on logs of 10k and
100k entries (1M with ``--large``), to show it does not grow with the log.

The log is what a ledger in service mostly holds: an agency publishing its status lists again
and again (each publish a new version with more revocations, a new list every
``VERSIONS_PER_LIST`` publishes), beside a few public bodies, accreditations and types. The
publishes are pre-signed in one process per core and written straight to the store (valid,
so the ledger's replay accepts them), as submitting 1M through the rules would take an hour.

A copy of the log is kept at each size; every copy is then served at once and their renders
timed in turn, so the machine's other load weighs on every size alike. Three figures per
size: the first render after start-up (it takes in every status list version once: that
grows with the log, and is paid once per process), a render with nothing new (the steady
state), and a render after one more publish (what each page costs on a ledger that keeps
growing), medians of ``RENDERS``. The ratios to the smallest size show the last two stay
flat.

Run: ``python -m benchmarks.transparency [--large] [--smoke]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from fastapi.testclient import TestClient

from benchmarks.table import Row, render
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.identity import Identity
from civicid.merkle import leaf_hash
from civicid.names import names_service
from civicid.status_list import STATUS_INVALID, StatusList, build_token
from civicid.status_uri import status_service
from ledger.app import create_app
from ledger.log import Ledger
from ledger.settings import LedgerSettings
from ledger.setup import initialize, open_ledger
from ledger.store import FileLogStore

PART = "transparency"
SIZES: Final = (10_000, 100_000)
LARGE: Final = 1_000_000
SMOKE_SIZES: Final = (300, 600)
VCT: Final = "https://civicid.example/vct/national-id"
BASE: Final = "https://registry.example"
LIST_ENTRIES: Final = 1024  # places on each list: small, so replaying a publish is cheap
VERSIONS_PER_LIST: Final = 500  # publishes of a list before the agency starts the next
BLOCK: Final = 2000  # publishes each pre-signing task signs
RENDERS: Final = 31  # renders timed for each median (a shared machine is noisy)
START: Final = 1_780_000_000


def uri(number: int) -> str:
    return f"{BASE}/status/{number}"


def publish_tx(agency: Identity, origin: str, k: int) -> str:
    """The ``k``-th publish: list ``k // VERSIONS_PER_LIST``, one more place revoked."""
    number, version = divmod(k, VERSIONS_PER_LIST)
    status_list = StatusList(LIST_ENTRIES, 2)
    for index in range(version % LIST_ENTRIES + 1):
        status_list.set(index, STATUS_INVALID)
    when = START + 60 + k
    token = build_token(
        key=agency.key, kid=agency.kid, sub=uri(number), status_list=status_list, iat=when,
        exp=None, ttl=3600,
    )  # fmt: skip
    body = {"uri": uri(number), "token": token}
    return agency.sign(tx.STATUS_LIST, body, ledger=origin, now=when)


def _signed_block(job: tuple[dict[str, object], str, int, int]) -> list[bytes]:
    agency, origin, first, count = job
    who = Identity.from_json(agency)
    return [publish_tx(who, origin, k).encode() for k in range(first, first + count)]


def grow(root: Path, agency: Identity, origin: str, first: int, entries: int) -> int:
    """Append publishes straight to the store until it holds ``entries``; the next ``k``."""
    store = FileLogStore(root / "ledger")
    try:
        count = max(entries - store.size, 0)
        jobs = [
            (agency.to_json(), origin, first + start, min(BLOCK, count - start))
            for start in range(0, count, BLOCK)
        ]
        with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
            for leaves in pool.imap(_signed_block, jobs):
                store.append(leaves, [leaf_hash(leaf) for leaf in leaves])
        store.sync()
    finally:
        store.close()
    return first + count


def found(root: Path) -> Identity:
    """A ledger with a named agency accredited for a type: what the page shows besides."""
    genesis = initialize(root, clock=lambda: START)
    ledger = open_ledger(root, clock=lambda: START)
    try:
        gov, origin = genesis.governance, genesis.origin
        agency = Identity.create(
            services=[names_service({"en": "Cadur Civil Registry"}), status_service(BASE)]
        )
        endorsement = gov.endorse(agency.did, "agency", ledger=origin, now=START)
        ledger.submit(agency.create_tx(role="agency", endorsement=endorsement, ledger=origin,
                                       now=START))  # fmt: skip
        body = grant_body(
            agency.did, credential_types=[VCT], valid_from=START, valid_until=START + 10**8,
            purpose="Issue national IDs", legal_basis="Identity Act, s. 4",
        )  # fmt: skip
        ledger.submit(gov.sign(tx.ACCREDITATION_GRANT, body, ledger=origin, now=START))
        return agency
    finally:
        ledger.close()


@dataclass
class Served:
    """One copy of the log, at one size, open and served in process."""

    size: int
    ledger: Ledger
    http: TestClient
    agency: Identity
    position: int  # the next publish's number
    now: list[int] = field(default_factory=list)  # the ledger's clock

    def render(self) -> float:
        started = time.perf_counter()
        response = self.http.get("/transparency")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        return elapsed * 1000

    def one_more(self) -> None:
        origin = self.ledger.state.origin
        assert origin is not None
        self.now[0] = START + 60 + self.position
        self.ledger.submit(publish_tx(self.agency, origin, self.position))
        self.position += 1


def serve(stack: ExitStack, root: Path, size: int, agency: Identity, k: int) -> Served:
    now = [START + 60 + k]
    ledger = open_ledger(root, clock=lambda: now[0])
    stack.callback(ledger.close)
    http = stack.enter_context(TestClient(create_app(LedgerSettings(data_dir=root), ledger=ledger)))
    return Served(size, ledger, http, agency, k, now)


def run(sizes: tuple[int, ...]) -> list[Row]:
    """Grow one log, keeping a copy at each size; then serve every copy at once and time
    their renders in turn, so the machine's load weighs on every size alike."""
    rows: list[Row] = []
    root = Path(tempfile.mkdtemp(prefix="civicid-bench-transparency-"))
    try:
        log = root / "log"
        agency = found(log)
        k, copies = 0, []
        for size in sizes:
            k = grow_to(log, agency, k, size)
            shutil.copytree(log, root / f"at-{size}")
            copies.append((size, root / f"at-{size}", k))
        with ExitStack() as stack:
            served, first = [], {}
            for size, copy, at in copies:
                one = serve(stack, copy, size, agency, at)
                first[size] = one.render()  # takes in every status list version once
                served.append(one)
            steady: dict[int, list[float]] = {one.size: [] for one in served}
            growing: dict[int, list[float]] = {one.size: [] for one in served}
            for _ in range(RENDERS):
                for one in served:
                    steady[one.size].append(one.render())
                for one in served:
                    one.one_more()
                    growing[one.size].append(one.render())
        smallest = sizes[0]
        for size in sizes:
            label = f"{size:,}"
            rows.append(Row(PART, f"first render after start-up, {label} entries",
                            first[size], "ms"))  # fmt: skip
            for times, what in ((steady, "render, nothing new"),
                                (growing, "render after one more entry")):  # fmt: skip
                value = statistics.median(times[size])
                ratio = value / statistics.median(times[smallest])
                rows.append(Row(PART, f"{what}, {label} entries (x{ratio:.2f} of smallest)",
                                value, "ms", "< 2x smallest", ratio < 2))  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def grow_to(root: Path, agency: Identity, k: int, size: int) -> int:
    store = FileLogStore(root / "ledger", readonly=True)
    try:
        origin = store.read(0)
    finally:
        store.close()
    return grow(root, agency, tx.Transaction.parse(origin).ledger, k, size)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="1M entries as well")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    large = args.large or os.environ.get("CIVICID_BENCH_LARGE") == "1"
    sizes = SMOKE_SIZES if args.smoke else (*SIZES, LARGE) if large else SIZES
    rows = run(sizes)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
