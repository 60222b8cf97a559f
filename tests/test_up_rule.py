"""``civicid up`` publishes an issuance rule and serves the issuer that issues by it, so the
wallet's "ask by rule" (a) has something to ask there: ``civicid demo``'s transport authority,
its senior transit pass and rule (examples/rules/senior-transit.toml). A citizen aged 70 is
issued the pass at once; the example card's holder (under 65) is told which condition failed.
The next run finds it all and serves the issuer where its DID names it."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.http import HttpClient
from civicid.status_uri import status_service
from cli import stack
from cli.demo_rules import RULE, SENIOR, TRANSPORT_NAMES
from cli.up import check_rule_port, first_port, on_a_database
from tests.test_up import ports, up
from wallet.holder.vault import MIN_ITERATIONS, MIN_MEMORY_KIB
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings


def citizen(data: Path, info: dict[str, Any], name: str, *, over_65: bool) -> Wallet:
    """A wallet on up's ledger holding a national ID offered by up's clerk."""
    settings = WalletSettings(
        data_dir=data / name, ledger_url=info["ledger"]["url"],
        ledger_key=info["ledger"]["checkpointKey"], witness_policy=info["witnesses"]["policy"],
        kdf_memory_kib=MIN_MEMORY_KIB, kdf_iterations=MIN_ITERATIONS,
    )  # fmt: skip
    wallet = Wallet.create(settings, secrets.token_urlsafe(16))
    key = (data / stack.STATE_DIR / stack.CLERK_KEY_FILE).read_text("ascii").strip()
    claims = {**stack.example_claims(), "age_equal_or_over": {"18": True, "65": over_65}}
    headers = {"authorization": f"Bearer {key}"}
    with HttpClient(info["issuer"]["url"], headers=headers) as staff:
        offer = stack.offer_national_id(staff, f"R-{name}", claims)
    wallet.receive(offer["linkByReference"], offer["txCode"])
    return wallet


def receive(wallet: Wallet, info: dict[str, Any], record: str, *, over_65: bool) -> None:
    key = (Path(info["dataDir"]) / stack.STATE_DIR / stack.CLERK_KEY_FILE).read_text().strip()
    claims = {**stack.example_claims(), "age_equal_or_over": {"18": True, "65": over_65}}
    headers = {"authorization": f"Bearer {key}"}
    with HttpClient(info["issuer"]["url"], headers=headers) as staff:
        offer = stack.offer_national_id(staff, record, claims)
    wallet.receive(offer["linkByReference"], offer["txCode"])


def test_up_serves_a_rule_the_wallet_can_ask(tmp_path: Path) -> None:
    data = tmp_path / "civicid"
    with up(data, *ports()) as (_, info):
        rule = info["rule"]
        assert rule["name"] == RULE
        with citizen(data, info, "senior", over_65=True) as senior:
            applied = senior.apply(rule["issuer"], RULE)
            assert [c.vct for c in applied.issued] == [SENIOR], applied
        with citizen(data, info, "younger", over_65=False) as younger:
            refused = younger.apply(rule["issuer"], RULE)
            assert not refused.issued
            assert refused.code == "predicate_failed"
            assert refused.condition == "Not met: Age 65 or over"
            # The history names the agency asked, as governance endorsed it (was its DID).
            [asked] = younger.history()
            assert asked.verifier_name == TRANSPORT_NAMES["en"]
            assert asked.decision == "not_issued"
        # Two cards, the first received not meeting the rule: the one that does is shown.
        with citizen(data, info, "two-cards", over_65=False) as both:
            time.sleep(1.1)  # received a second later (the wallet orders cards by then)
            receive(both, info, "R-two-cards-2", over_65=True)
            applied = both.apply(rule["issuer"], RULE)
            assert [c.vct for c in applied.issued] == [SENIOR], applied
    # The next run: the same agency, its issuer where its DID names it, the rule as it was.
    with up(data, *ports(info["issuer"]["url"])) as (_, again):
        assert again["rule"] == rule
        with citizen(data, again, "later", over_65=True) as later:
            applied = later.apply(again["rule"]["issuer"], RULE)
            assert applied.version == 1 and len(applied.issued) == 1


def test_the_rule_s_issuer_elsewhere_than_its_did_names_is_refused() -> None:
    # Its DID names its first address for good: served elsewhere, wallets would refuse every
    # offer it answers with (wallet_issuer_unbound).
    document = {
        "id": "did:civicid:transport",
        "service": [status_service("http://127.0.0.1:40001")],
    }
    assert first_port(document) == 40001
    check_rule_port(document, "http://127.0.0.1:40001")
    with pytest.raises(Error) as caught:
        check_rule_port(document, "http://127.0.0.1:40002")
    assert caught.value.code == "up_rule_port_changed"
    assert "http://127.0.0.1:40001" in caught.value.message
    assert "not http://127.0.0.1:40002: run up with --rule-port 40001" in caught.value.message


def test_the_rule_s_issuer_is_not_served_on_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    # A second issuer on the agency's PostgreSQL database would share its tables.
    for name in ("CIVICID_DATABASE_URL", "CIVICID_ISSUER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert not on_a_database(None)
    assert on_a_database("postgresql://civicid@localhost/civicid")
    for name in ("CIVICID_DATABASE_URL", "CIVICID_ISSUER_DATABASE_URL"):
        with monkeypatch.context() as env:
            env.setenv(name, "postgresql://civicid@localhost/civicid")
            assert on_a_database(None)
