"""Public rules benchmarks: automatic issuances per second (the rule's presentation request,
the presentation checked by the kernel's checks, the offer, token, nonce and credential)
beside clerk-made issuances per second (offer, token, nonce, credential) in the same run; and
the time from a voucher's redemption at one desk to its refusal at another.

The issuer and both desks run in this process, as libraries (their HTTP shells add the same
cost to both kinds of issuance); the ledger is served on loopback, every answer proven.
Run: ``python -m benchmarks.rules [--issuances 40] [--redemptions 10] [--smoke]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
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
from civicid.identity import Identity
from civicid.jose import PrivateKey
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.oid4vci import PRE_AUTHORIZED_GRANT, CredentialRequest, TokenRequest, build_proof_jwt
from civicid.policy import CREDENTIAL_QUERY_ID
from civicid.status_uri import status_service
from cli.demo_rules import RULE, SENIOR, VOUCHER, senior_pass_type, senior_rule, voucher_type
from cli.harness import free_port, serving

PART = "rules"
ROOT = Path(__file__).parents[1]
TYPES = ROOT / "examples" / "types"
NATIONAL_ID: Final = "https://civicid.example/vct/national-id"
PUBLIC_URL: Final = "https://transport.bench.example"
# An automatic issuance does what a clerk-made one does plus a presentation's checks (a few
# proven ledger answers, two signatures): it should keep at least half the pace.
TARGET_RATIO: Final = 0.5
# A redemption is on the ledger when its desk answers; the next desk asks the ledger afresh.
TARGET_LATENCY_MS: Final = 500
SMOKE_ISSUANCES, SMOKE_REDEMPTIONS = 3, 2
SENIOR_CLAIMS: Final[dict[str, Any]] = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birthdate": "1950-12-10",
    "resident": True,
    "age_equal_or_over": {"18": True, "65": True},
}
ASKED: Final = [("given_name",), ("family_name",), ("resident",), ("age_equal_or_over", "65")]


@dataclass
class World:
    root: Path
    client: LedgerClient
    origin: str
    vkey: str
    governance: Identity
    url: str

    def submit(self, who: Identity, tx_type: str, body: dict[str, Any]) -> None:
        self.client.submit(who.sign(tx_type, body, ledger=self.origin))

    def register(self, role: str, base: str | None = None) -> Identity:
        who = Identity.create(services=[status_service(base)] if base else None)
        endorsement = self.governance.endorse(who.did, role, ledger=self.origin)
        self.client.submit(who.create_tx(role=role, endorsement=endorsement, ledger=self.origin))
        return who

    def accredit(self, who: Identity, **scope: Any) -> None:
        now = int(time.time())
        body = grant_body(
            who.did,
            valid_from=now - 60,
            valid_until=now + 86400,
            purpose="Benchmark",
            legal_basis="Benchmark Act, s. 1",
            **scope,
        )
        self.submit(self.governance, tx.ACCREDITATION_GRANT, body)


@contextmanager
def world(root: Path) -> Iterator[World]:
    from ledger.app import create_app
    from ledger.settings import LedgerSettings
    from ledger.setup import initialize

    genesis = initialize(root / "ledger")
    settings = LedgerSettings(data_dir=root / "ledger")
    with serving(create_app(settings), free_port(), settings=settings) as url:
        client = LedgerClient(url, genesis.vkey)
        try:
            yield World(root, client, genesis.origin, genesis.vkey, genesis.governance, url)
        finally:
            client.close()


def agency_issuer(w: World) -> tuple[Any, Identity]:
    """The agency: accredited for the national ID, the pass and the voucher; the two types it
    owns registered; its rule published; its issuer open, in-process."""
    from issuer.service import Issuer
    from issuer.settings import ConfigurationSettings
    from issuer.setup import initialize

    agency = w.register("agency", PUBLIC_URL)
    w.accredit(agency, credential_types=[NATIONAL_ID, SENIOR, VOUCHER])
    metadata = json.loads((TYPES / "national-id.metadata.json").read_text("utf-8"))
    schema = json.loads((TYPES / "national-id.schema.json").read_text("utf-8"))
    w.submit(
        agency, tx.CREDENTIAL_TYPE, {"vct": NATIONAL_ID, "metadata": metadata, "schema": schema}
    )
    w.submit(agency, tx.CREDENTIAL_TYPE, senior_pass_type())
    w.submit(agency, tx.CREDENTIAL_TYPE, voucher_type())
    w.submit(agency, tx.ISSUANCE_RULE, senior_rule())  # examples/rules/senior-transit.toml
    home = w.root / "issuer"
    KeyStore(home / "keys").put("agency", agency.to_json())
    configurations = [
        ConfigurationSettings(id="national-id", vct=NATIONAL_ID, batch_size=1),
        ConfigurationSettings(id="senior", vct=SENIOR, batch_size=1),
        ConfigurationSettings(id="voucher", vct=VOUCHER, batch_size=1),
    ]
    made = initialize(
        home,
        configurations=configurations,
        public_url=PUBLIC_URL,
        ledger_url=w.url,
        checkpoint_key=w.vkey,
        identity="agency",
        status_list_size=100_000,
    )
    return Issuer.open(made.settings), agency


def clerk() -> Any:
    from issuer.records import Clerk

    return Clerk(id="bench", name="bench", scopes=("issue",), key_hash="", created=0)


def redeem_offer(issuer: Any, created: Any) -> tuple[str, PrivateKey]:
    """Token, nonce, one proof, credential: the wallet's half of OpenID4VCI, in-process."""
    grant = created.credential_offer.pre_authorized
    token = issuer.token(
        TokenRequest.from_form(
            {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": grant.pre_authorized_code}
            | ({"tx_code": created.tx_code} if created.tx_code else {})
        )
    )
    key = PrivateKey.generate()
    proof = build_proof_jwt(key, aud=PUBLIC_URL, nonce=issuer.nonce().c_nonce, iat=int(time.time()))
    request = CredentialRequest.from_json(
        {"credential_configuration_id": created.offer.configuration, "proofs": {"jwt": [proof]}}
    )
    response = issuer.credential_request(token.access_token, request)
    return str(response.credentials[0].credential), key


def clerk_made(issuer: Any, configuration: str, claims: dict[str, Any]) -> tuple[str, PrivateKey]:
    created = issuer.create_offer(clerk(), configuration=configuration, record="R-1", claims=claims)
    return redeem_offer(issuer, created)


def by_rule(issuer: Any, desk: Any, credential: str, key: PrivateKey) -> None:
    asked = desk.request(RULE)
    presented = sdjwt.present(
        credential,
        disclose=ASKED,
        holder_key=key,
        nonce=asked.request.nonce,
        aud=asked.request.client_id,
        iat=int(time.time()),
    )
    outcome = desk.respond(
        {"state": asked.request.state, "vp_token": json.dumps({CREDENTIAL_QUERY_ID: [presented]})}
    )
    assert outcome.offer is not None, outcome.to_json()
    redeem_offer(issuer, outcome.offer)


def issuance_rates(issuer: Any, issuances: int) -> tuple[float, float]:
    from issuer.by_rule import RuleIssuance

    credential, key = clerk_made(issuer, "national-id", SENIOR_CLAIMS)
    issuer.publish()  # the national ID's list is on the ledger before it is checked
    desk = RuleIssuance(issuer)
    by_rule(issuer, desk, credential, key)  # warm: caches, the pass's list
    issuer.publish()
    started = time.perf_counter()
    for _ in range(issuances):
        clerk_made(
            issuer,
            "senior",
            {"given_name": "Ada", "family_name": "Lovelace", "concession": "senior"},
        )
    clerk_rate = issuances / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(issuances):
        by_rule(issuer, desk, credential, key)
    return issuances / (time.perf_counter() - started), clerk_rate


def desks(w: World) -> list[Any]:
    from verifier.service import Verifier
    from verifier.settings import VerifierSettings

    opened = []
    for name in ("town", "market"):
        who = w.register("service-desk")
        w.accredit(who, claims={VOUCHER: ["programme"]})
        home = w.root / name
        KeyStore(home / "keys").put("desk", who.to_json())
        policies = home / "policies"
        policies.mkdir(parents=True)
        (policies / "food-voucher.toml").write_text(
            f'title = "Food voucher"\npurpose = "Food parcel"\ncredential_types = ["{VOUCHER}"]\n'
            'required_claims = ["programme"]\n',
            "utf-8",
        )
        settings = VerifierSettings(
            data_dir=home,
            ledger_url=w.url,
            checkpoint_key=w.vkey,
            policies_dir=policies,
            public_url=f"http://{name}.test",
        )
        settings.home.mkdir(parents=True, exist_ok=True)
        opened.append(Verifier.open(settings))
    return opened


def redemption_latencies(w: World, issuer: Any, redemptions: int) -> list[float]:
    """Per voucher: from the first desk's accepting decision (its redemption on the ledger)
    to the second desk's refusal (``entitlement_already_redeemed``), in ms."""
    town, market = desks(w)
    vouchers = [
        clerk_made(issuer, "voucher", {"programme": "winter-aid"}) for _ in range(redemptions)
    ]
    issuer.publish()
    found = []
    try:
        for number, (voucher, key) in enumerate(vouchers):
            decisions = []
            for desk, tag in ((town, "t"), (market, "m")):
                nonce = f"{tag}{number:04d}".ljust(24, "n")
                presented = sdjwt.present(
                    voucher,
                    disclose=[("programme",)],
                    holder_key=key,
                    nonce=nonce,
                    aud=desk.client_id,
                    iat=int(time.time()),
                )
                decisions.append(
                    desk.check(presented, policy=desk.policy("food-voucher"), nonce=nonce)
                )
                if desk is town:
                    redeemed_at = time.perf_counter()
            refused_at = time.perf_counter()
            assert decisions[0].eligible, decisions[0].to_text()
            assert decisions[1].code == "entitlement_already_redeemed", decisions[1].to_text()
            found.append((refused_at - redeemed_at) * 1000)
    finally:
        town.close()
        market.close()
    return found


def main(argv: list[str]) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rules")
    parser.add_argument("--issuances", type=int, default=40)
    parser.add_argument("--redemptions", type=int, default=10)
    parser.add_argument("--smoke", action="store_true")
    args, _ = parser.parse_known_args(argv)
    issuances = SMOKE_ISSUANCES if args.smoke else args.issuances
    redemptions = SMOKE_REDEMPTIONS if args.smoke else args.redemptions
    root = Path(tempfile.mkdtemp(prefix="civicid-bench-rules-"))
    try:
        with ExitStack() as stack:
            w = stack.enter_context(world(root))
            issuer, _ = agency_issuer(w)
            stack.callback(issuer.close)
            automatic, by_clerk = issuance_rates(issuer, issuances)
            latencies = redemption_latencies(w, issuer, redemptions)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratio = automatic / by_clerk
    median = statistics.median(latencies)
    return [
        Row(PART, "automatic issuances/s (presentation checked + issued)", automatic, "/s"),
        Row(PART, "clerk-made issuances/s (same run)", by_clerk, "/s"),
        Row(
            PART, "automatic / clerk-made", ratio, "x", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO
        ),
        Row(
            PART,
            "redemption -> refusal at another desk (median)",
            median,
            "ms",
            f"<= {TARGET_LATENCY_MS} ms",
            median <= TARGET_LATENCY_MS,
        ),
    ]


if __name__ == "__main__":
    import sys

    print(render(main(sys.argv[1:])))
