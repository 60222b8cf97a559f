"""Federation benchmark: what a desk pays to check a credential issued under a foreign ledger
it pins, beside one issued under its own, in one run.

Two ledgers on loopback (each a real HTTP server in this process), an agency on each, a desk
on the home ledger pinning the foreign one. Each presentation runs the desk's whole check
(``civicid.eligibility.checks``, the kernel's trust path behind it), alternately local and
foreign. Cold: the policy reads the ledger afresh for every check (``max_ledger_age 0``, the
housing benefit's), so a foreign credential also pays for the home ledger's proof that the
issuer is not there. Warm: answers reused for five minutes (the age check's), where routing
is remembered too and the two should cost about the same.

Run: ``python -m benchmarks.federation [--checks 200] [--smoke]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks.table import Row, render
from civicid import sdjwt
from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.did import DID
from civicid.eligibility.checks import check_presentation
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.ledger_client import LedgerClient
from civicid.oid4vp import client_id_for, new_nonce
from civicid.policy import Policy
from civicid.status_list import StatusList, build_token
from civicid.status_uri import status_service
from civicid.trust import Trust
from civicid.trust.federation import Federation
from civicid.trust.pins import PinnedLedger
from cli import stack
from cli.harness import free_port, serving
from ledger.app import create_app as ledger_app
from ledger.log import Ledger
from ledger.settings import LedgerSettings
from ledger.setup import Genesis, initialize, open_ledger

PART = "federation"
YEAR: Final = 365 * 86400
# A foreign credential asks the home ledger once more (the issuer is proven absent there)
# when nothing is remembered: up to twice a local one's cost is what that should stay under.
COLD_TARGET: Final = 2.0
WARM_TARGET: Final = 1.25  # remembered answers and routes: close to a local one
DISCLOSE: Final = [("resident",), ("age_equal_or_over", "18")]


@dataclass
class Country:
    root: Path
    genesis: Genesis
    ledger: Ledger
    agency: Identity
    url: str = ""

    def submit(self, who: Identity, kind: str, body: dict[str, Any]) -> None:
        self.ledger.submit(who.sign(kind, body, ledger=self.genesis.origin))

    def register(self, role: str, base: str | None = None) -> Identity:
        who = Identity.create(services=[status_service(base)] if base else None)
        governance = self.genesis.governance
        endorsement = governance.endorse(who.did, role, ledger=self.genesis.origin)
        self.ledger.submit(who.create_tx(role=role, endorsement=endorsement,
                                         ledger=self.genesis.origin))  # fmt: skip
        return who

    def accredit(self, who: Identity, **scope: Any) -> None:
        now = int(time.time())
        body = grant_body(
            who.did, valid_from=now - 60, valid_until=now + YEAR, purpose="benchmark",
            legal_basis="Benchmark Act, s. 1", **scope,
        )  # fmt: skip
        self.submit(self.genesis.governance, tx.ACCREDITATION_GRANT, body)

    def credential(self, holder: PrivateKey, uri: str) -> str:
        return sdjwt.issue(
            issuer_key=self.agency.key, kid=self.agency.kid, iss=self.agency.did,
            claims=stack.example_claims(), disclosable=DISCLOSE, iat=int(time.time()),
            vct=stack.NATIONAL_ID, cnf_jwk=holder.public.to_jwk(),
            status={"status_list": {"idx": 3, "uri": uri}},
        )  # fmt: skip


def country(root: Path, origin: str) -> Country:
    genesis = initialize(root, origin=origin)
    ledger = open_ledger(root)
    base = f"https://{origin.split('/')[0]}"
    made = Country(root, genesis, ledger, Identity.create(services=[status_service(base)]))
    made.agency = made.register("agency", base)
    made.accredit(made.agency, credential_types=[stack.NATIONAL_ID])
    made.submit(made.agency, tx.CREDENTIAL_TYPE, stack.example_type())
    uri = f"{base}/status/1"
    token = build_token(
        key=made.agency.key, kid=made.agency.kid, sub=uri, status_list=StatusList(1000, 2),
        iat=int(time.time()), exp=None, ttl=YEAR,
    )  # fmt: skip
    made.submit(made.agency, tx.STATUS_LIST, {"uri": uri, "token": token})
    return made


@contextmanager
def two_countries(tmp: Path) -> Iterator[tuple[Country, Country, Identity]]:
    home = country(tmp / "home", "home.example/ledger")
    abroad = country(tmp / "abroad", "abroad.example/ledger")
    desk = home.register("service-desk")
    home.accredit(desk, claims={stack.NATIONAL_ID: list(stack.DESK_CLAIMS)})
    with ExitStack() as running:
        for each in (home, abroad):
            app = ledger_app(LedgerSettings(data_dir=each.root), ledger=each.ledger)
            each.url = running.enter_context(serving(app, free_port()))
        yield home, abroad, desk
    home.ledger.close()
    abroad.ledger.close()


def policy(max_age: int) -> Policy:
    return Policy.from_toml(
        {"title": "Housing benefit", "purpose": "benchmark",
         "credential_types": [stack.NATIONAL_ID], "issuers": "accredited",
         "required_claims": ["resident"], "max_ledger_age_seconds": max_age},
        "benchmark", name="housing-benefit",
    )  # fmt: skip


def timed(
    cases: list[tuple[str, Federation, str]], desk: Identity, rules: Policy,
    holder: PrivateKey, checks: int,
) -> dict[str, list[float]]:  # fmt: skip
    """Seconds per check of each case (a credential at a desk), the cases taken in turn so
    all see the same machine."""
    seconds: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    aud = client_id_for(desk.did)
    for _ in range(checks):
        for name, federation, credential in cases:
            nonce = new_nonce()
            shown = sdjwt.present(credential, disclose=DISCLOSE, holder_key=holder,
                                  nonce=nonce, aud=aud, iat=int(time.time()))  # fmt: skip
            started = time.perf_counter()
            decision = check_presentation(
                shown, policy=rules, nonce=nonce, client_id=aud, trust=federation.local,
                now=int(time.time()), federation=federation,
            )  # fmt: skip
            seconds[name].append(time.perf_counter() - started)
            if not decision.eligible:
                raise RuntimeError(f"{name} credential refused: {decision.to_text()}")
    return seconds


def main(argv: list[str]) -> list[Row]:
    parser = argparse.ArgumentParser(prog="benchmarks.federation")
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--smoke", action="store_true")
    args, _ = parser.parse_known_args(argv)
    checks = 3 if args.smoke else args.checks
    holder = PrivateKey.generate()
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="civicid-bench-federation-") as tmp,
        two_countries(Path(tmp)) as (home, abroad, desk),
    ):
        pin = PinnedLedger(
            name="abroad", urls=abroad.url,
            policy_text=f"log {abroad.genesis.vkey}\nquorum none\n",
            governance=DID(abroad.genesis.governance.did), types=(stack.NATIONAL_ID,),
        )  # fmt: skip
        credentials = {
            "local": home.credential(holder, "https://home.example/status/1"),
            "foreign": abroad.credential(holder, "https://abroad.example/status/1"),
        }
        for label, max_age, target in (("cold", 0, COLD_TARGET), ("warm", 300, WARM_TARGET)):
            plain = Federation.open(Trust(LedgerClient(home.url, home.genesis.vkey)), [])
            pinning = Federation.open(Trust(LedgerClient(home.url, home.genesis.vkey)), [pin])
            cases = [("unpinned", plain, credentials["local"]),
                     ("local", pinning, credentials["local"]),
                     ("foreign", pinning, credentials["foreign"])]  # fmt: skip
            try:
                seconds = timed(cases, desk, policy(max_age), holder, checks)
            finally:
                for federation in (plain, pinning):
                    federation.close()
                    federation.local.close()
            medians = {name: statistics.median(s[1:] or s) for name, s in seconds.items()}
            ratio = medians["foreign"] / medians["local"]
            for name, what in (
                ("unpinned", "local credential, nothing pinned"),
                ("local", "local credential"),
                ("foreign", "foreign credential"),
            ):
                rows.append(Row(PART, f"check, {what} ({label})",
                                medians[name] * 1000, "ms"))  # fmt: skip
            rows.append(Row(PART, f"foreign / local check ({label})", ratio, "x",
                            f"<= {target}x", ratio <= target))  # fmt: skip
    return rows


if __name__ == "__main__":
    import sys

    print(render(main(sys.argv[1:])))
