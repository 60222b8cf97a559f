"""``civicid demo``'s public rules: a transport authority publishes a rule on the ledger and a
senior transit pass is issued at once, by the rule, to a citizen aged 70 (and refused, with
the reason, to one under 65); then a single-use food voucher is redeemed once at one desk and
refused at a second. Everything over the real protocols, on loopback."""

from __future__ import annotations

import secrets
import tomllib
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any, Final

from civicid import transaction as tx_types
from civicid.entitlements import ENTITLEMENT_ALREADY_REDEEMED, SINGLE_USE
from civicid.http import HttpClient
from civicid.identity import Identity
from civicid.issuance_rules import from_rule_file
from civicid.keystore import KeyStore
from civicid.ledger_client import LedgerClient
from civicid.names import names_service
from civicid.policy import PREDICATE_FAILED
from civicid.status_uri import status_service
from civicid.trust import Trust
from cli import stack
from cli.harness import free_port, serving
from cli.story import Story

SENIOR: Final = "https://civicid.example/vct/senior-transit-pass"
VOUCHER: Final = "https://civicid.example/vct/food-voucher"
RULE: Final = "senior-transit"
TRANSPORT: Final = "transport"  # key store name of the transport authority's identity
MARKET: Final = "market-desk"  # the second distribution point's
VOUCHER_POLICY: Final = "food-voucher"
TRANSPORT_NAMES: Final = {"en": "Cadur transport and welfare authority"}
MARKET_NAMES: Final = {"en": "Cadur market hall desk"}


def simple_type(vct: str, name: str, claims: list[str], **extra: Any) -> dict[str, Any]:
    metadata = {
        "vct": vct,
        "name": name,
        "display": [{"locale": "en-GB", "name": name}],
        "claims": [{"path": [c], "sd": "always"} for c in claims],
        **extra,
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {c: {"type": "string"} for c in claims},
    }
    return {"vct": vct, "metadata": metadata, "schema": schema}


def senior_pass_type() -> dict[str, Any]:
    """The senior transit pass's type (what the rule issues): the demo's, the rules benchmark's
    and the rules tests' one definition."""
    return simple_type(SENIOR, "Senior transit pass", ["given_name", "family_name", "concession"])


def voucher_type() -> dict[str, Any]:
    """The food voucher's type, single use."""
    return simple_type(VOUCHER, "Food voucher", ["programme"], **{SINGLE_USE: True})


def senior_rule(version: int = 1) -> dict[str, Any]:
    """The senior transit rule's publish body, as ``examples/rules/senior-transit.toml`` (what
    an agency would publish with ``civicid issuer rules publish``) writes it."""
    rule_file = stack.EXAMPLES / "rules" / f"{RULE}.toml"
    body = from_rule_file(tomllib.loads(rule_file.read_text("utf-8")), RULE)
    return {**body, "version": version}


def register(
    client: LedgerClient, ledger: Any, keys: KeyStore, name: str, role: str, names: dict[str, str],
    base_url: str | None = None,
) -> Identity:  # fmt: skip
    services = [status_service(base_url)] if base_url else []
    who = Identity.create(services=[*services, names_service(names)])
    endorsement = ledger.governance.endorse(who.did, role, ledger=ledger.origin)
    keys.put(name, who.to_json())
    client.submit(who.create_tx(role=role, endorsement=endorsement, ledger=ledger.origin))
    return who


def submit(client: LedgerClient, ledger: Any, who: Identity, tx_type: str, body: Any) -> int:
    return int(client.submit(who.sign(tx_type, body, ledger=ledger.origin))["seq"])


def wallet_for(root: Path, name: str, ledger_url: str, vkey: str, policy: Path) -> Any:
    from wallet.holder.wallet import Wallet
    from wallet.settings import WalletSettings

    settings = WalletSettings(
        data_dir=root / name, ledger_url=ledger_url, ledger_key=vkey, witness_policy=policy
    )
    return closing(Wallet.create(settings, secrets.token_urlsafe(16)))


def run(
    story: Story,
    services: ExitStack,
    root: Path,
    *,
    ledger: Any,
    ledger_url: str,
    trust: Trust,
    policy: Path,
    desk: Identity,
    staff: HttpClient,
) -> None:
    """The steps ``rule``, ``by-rule``, ``by-rule-refused``, ``voucher``, ``voucher-again``."""
    client = trust.client  # for submitting; what is believed is asked of ``trust``
    home = root / TRANSPORT
    keys = KeyStore(home / "keys")
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with story.step("rule", "A transport authority publishes a rule on the ledger"):
        transport = register(client, ledger, keys, TRANSPORT, "agency", TRANSPORT_NAMES, public)
        stack.accredit(client, ledger, transport.did, purpose="Issue concessions and aid",
                       credential_types=[SENIOR, VOUCHER])  # fmt: skip
        submit(client, ledger, transport, tx_types.CREDENTIAL_TYPE, senior_pass_type())
        submit(client, ledger, transport, tx_types.CREDENTIAL_TYPE, voucher_type())
        seq = submit(client, ledger, transport, tx_types.ISSUANCE_RULE, senior_rule())
        story.say(f"issuance_rule.publish {RULE} v1 → entry {seq}, by {TRANSPORT_NAMES['en']}")
        story.say("issue a senior transit pass to a resident national ID holder aged 65+")
        story.say("the ledger checked: the authority is accredited for the pass; every type named")
        story.say(f"  is registered; the food voucher type is marked single use ({SINGLE_USE})")
        issuer_url, clerk = start_issuer(services, home, ledger, ledger_url, port, client, policy)
        story.say(f"its issuer {issuer_url}: no clerk decides a pass, the rule does")
        story.fact(rule=RULE, version=1, seq=seq)

    with story.step("by-rule", "A citizen aged 70 asks for the pass: issued at once"):
        senior = services.enter_context(wallet_for(root, "senior", ledger_url, ledger.vkey, policy))
        national_id(staff, senior, "1955-03-02", over_65=True)
        applied = senior.apply(issuer_url, RULE)
        story.say("POST /rules/senior-transit/requests → an OpenID4VP request signed by the agency")
        story.say("the wallet checked it against the rule on the ledger, presented 4 claims;")
        story.say("the issuer ran the desk's very checks, then answered with a credential offer")
        story.expect(len(applied.issued) == 1, f"not issued [{applied.code}] {applied.reason}")
        card = applied.issued[0]
        story.say(f"received: {card.title} (concession {card.claims.get('concession')!r})")
        story.fact(issued=card.vct, version=applied.version)

    with story.step("by-rule-refused", "A citizen of 40 asks: refused, and told why"):
        younger = services.enter_context(
            wallet_for(root, "younger", ledger_url, ledger.vkey, policy)
        )
        national_id(staff, younger, "1985-07-14", over_65=False)
        refused = younger.apply(issuer_url, RULE)
        code = refused.code  # the issuer's, as its answer named it
        story.say(f"not issued [{code}]: {refused.reason}")
        story.say(f"the wallet names it from the rule on the ledger: {refused.condition}")
        story.expect(
            not refused.issued and code == PREDICATE_FAILED.name
            and refused.failed_step == "predicates"
            and refused.condition == "Not met: Age 65 or over",
            f"answered [{code}] {refused.reason} ({refused.condition})",
        )  # fmt: skip
        story.fact(refused=code)

    with story.step("voucher", "A food voucher is redeemed at one distribution point"):
        market = register(client, ledger, KeyStore(root / MARKET / "keys"), MARKET,
                          "service-desk", MARKET_NAMES)  # fmt: skip
        for who in (desk, market):
            stack.accredit(client, ledger, who.did, purpose="Hand out food parcels",
                           claims={VOUCHER: ["programme"]})  # fmt: skip
        offer = clerk.post_json(
            "/staff/offers",
            json={"configuration": "food-voucher", "record": "AID-7",
                  "claims": {"programme": "winter-aid"}},
        )  # fmt: skip
        [voucher] = senior.receive(offer["linkByReference"], offer["txCode"])
        clerk.post_json("/staff/publish")
        first = start_desk(services, root, stack.DESK, ledger_url, ledger.vkey, policy)
        second = start_desk(services, root / MARKET, MARKET, ledger_url, ledger.vkey, policy)
        outcome = present(senior, first)
        story.say(f"town hall desk: {outcome.receipt.decision if outcome.receipt else None}")
        story.say("entitlement.redeem logged on the ledger by the desk, keyed by the voucher's")
        story.say("  status list entry (no name): the ledger takes one redemption per voucher")
        story.expect(
            outcome.receipt is not None and outcome.receipt.decision == "eligible",
            "the first desk did not accept the voucher",
        )
        story.fact(voucher=voucher.id, decision="eligible")

    with story.step("voucher-again", "The same voucher at a second desk: refused"):
        again = present(senior, second)
        code = again.receipt.failed_step if again.receipt else None
        story.say(f"market hall desk: {again.receipt.decision if again.receipt else None} [{code}]")
        story.expect(code == ENTITLEMENT_ALREADY_REDEEMED.name, f"the second desk answered {code}")
        story.fact(refused=code)
        trust.checkpoint()  # the demo's own view catches up with the desks' redemption


def national_id(staff: HttpClient, wallet: Any, born: str, *, over_65: bool) -> None:
    claims = {**stack.example_claims(), "birthdate": born,
              "age_equal_or_over": {"18": True, "65": over_65}}  # fmt: skip
    offer = stack.offer_national_id(staff, f"R-{born}", claims)
    wallet.receive(offer["linkByReference"], offer["txCode"])


def present(wallet: Any, desk_url: str) -> Any:
    with HttpClient(desk_url) as http:
        created = http.post_json("/requests", json={"policy": VOUCHER_POLICY})
    return wallet.present(wallet.prepare(created["link"]))


def start_issuer(
    services: ExitStack, home: Path, ledger: Any, ledger_url: str, port: int,
    client: LedgerClient, policy: Path,
) -> tuple[str, HttpClient]:  # fmt: skip
    from issuer.app import create_app as issuer_app
    from issuer.settings import ConfigurationSettings, IssuerSettings
    from issuer.setup import add_clerk, initialize

    flags: dict[str, Any] = {"ledger_url": ledger_url, "checkpoint_key": ledger.vkey,
                             "public_url": f"http://127.0.0.1:{port}", "port": port,
                             "identity": TRANSPORT, "witness_policy": policy}  # fmt: skip
    # One copy each: a single-use credential is issued as one (each copy would have its own
    # status entry, each redeemable), and OpenID4VCI's batch size is the issuer's, not a type's.
    configurations = [
        ConfigurationSettings(id="senior-transit-pass", vct=SENIOR, batch_size=1),
        ConfigurationSettings(id="food-voucher", vct=VOUCHER, batch_size=1),
    ]
    initialize(home, configurations=configurations, client=client, **flags)
    settings = IssuerSettings.load(home, **flags)
    key = add_clerk(settings, "aid-desk", ["issue", "revoke"]).api_key
    url = services.enter_context(serving(issuer_app(settings), port, settings=settings))
    clerk = services.enter_context(HttpClient(url, headers={"authorization": f"Bearer {key}"}))
    return url, clerk


def start_desk(
    services: ExitStack, home: Path, name: str, ledger_url: str, vkey: str, policy: Path
) -> str:
    """A distribution point: a verifier with the food voucher policy, as ``name``."""
    from verifier.app import create_app as verifier_app
    from verifier.service import Verifier
    from verifier.settings import VerifierSettings

    policies = home / stack.STATE_DIR / "vouchers"
    policies.mkdir(parents=True, exist_ok=True)
    (policies / f"{VOUCHER_POLICY}.toml").write_text(
        'title = "Food voucher"\npurpose = "Hand out this week\'s food parcel"\n'
        f'credential_types = ["{VOUCHER}"]\nrequired_claims = ["programme"]\n',
        "utf-8",
    )
    port = free_port()
    settings = VerifierSettings.load(
        home, ledger_url=ledger_url, checkpoint_key=vkey, port=port,
        public_url=f"http://127.0.0.1:{port}", policies_dir=policies, desk=name,
        witness_policy=policy,
    )  # fmt: skip
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    verifier = Verifier.open(settings)
    services.callback(verifier.close)
    return services.enter_context(serving(verifier_app(settings, verifier=verifier), port,
                                          settings=settings))  # fmt: skip
