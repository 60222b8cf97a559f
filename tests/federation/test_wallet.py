"""A wallet whose home ledger is one country's holds a national ID issued under another's:
it checks it on the foreign ledger it pins (key, accreditation, type, status), and sees a
revocation there; without the pin, or with a pin that does not verify, it refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.did import DID
from civicid.jose import PrivateKey
from civicid.status_list import STATUS_INVALID
from civicid.trust.pins import PinnedLedger, Pins
from cli.harness import serving
from tests.federation.world import Countries, open_desk, pin, policy_text
from tests.verifier.world import NOW, settings_for
from tests.wallet.conftest import PASSPHRASE
from tests.wallet.test_issuance import unchanged
from verifier.app import create_app
from wallet.holder.credentials import REVOKED, VALID
from wallet.holder.vault import MIN_ITERATIONS, MIN_MEMORY_KIB
from wallet.holder.wallet import Wallet
from wallet.settings import WalletSettings

WALLET_NOW = NOW + 60


@pytest.fixture
def wallet(countries: Countries, tmp_path: Path) -> Iterator[Wallet]:
    """A wallet at home: the home ledger's URL and key."""
    settings = WalletSettings.load(
        tmp_path / "citizen",
        kdf_memory_kib=MIN_MEMORY_KIB,
        kdf_iterations=MIN_ITERATIONS,
        ledger_url=countries.home_url,
        ledger_key=countries.home.genesis.vkey,
    )
    with Wallet.create(settings, PASSPHRASE, clock=lambda: WALLET_NOW) as opened:
        yield opened


def pin_abroad(countries: Countries, wallet: Wallet, governance: str | None = None) -> None:
    abroad = countries.abroad
    Pins(wallet.settings.federation_path).add(
        PinnedLedger(
            name="abroad",
            urls=countries.abroad_url,
            policy_text=policy_text(abroad),
            governance=governance or abroad.genesis.governance.did,  # type: ignore[arg-type]
        )
    )


def foreign_file(countries: Countries, tmp_path: Path, index: int) -> Path:
    key = PrivateKey.generate()
    credential = countries.abroad.credential(holder=key, index=index)
    path = tmp_path / "national-id.json"
    path.write_text(json.dumps({"credential": credential, "holder_key": key.to_json()["jwk"]}))
    return path


def test_a_foreign_credential_is_checked_abroad(
    countries: Countries, wallet: Wallet, tmp_path: Path
) -> None:
    pin_abroad(countries, wallet)
    held = wallet.import_file(foreign_file(countries, tmp_path, index=21))
    assert held.issuer == countries.abroad.agency.did
    assert held.status(WALLET_NOW) == VALID
    abroad = countries.abroad
    abroad.clock.now += 10
    abroad.status.set(21, STATUS_INVALID)
    abroad.publish_status()
    report = wallet.refresh()
    assert not report.failures
    assert report.credentials[0].status(WALLET_NOW) == REVOKED


def test_without_the_pin_the_issuer_is_unknown(
    countries: Countries, wallet: Wallet, tmp_path: Path
) -> None:
    path = foreign_file(countries, tmp_path, index=22)
    unchanged(wallet, "key_not_in_force", lambda: wallet.import_file(path))


def test_a_pin_that_does_not_verify_is_refused(
    countries: Countries, wallet: Wallet, tmp_path: Path
) -> None:
    pin_abroad(countries, wallet, governance=countries.home.genesis.governance.did)
    path = foreign_file(countries, tmp_path, index=23)
    unchanged(wallet, "ledger_governance_mismatch", lambda: wallet.import_file(path))


def test_a_wallet_shows_its_card_at_a_desk_of_a_pinned_ledger(
    countries: Countries, tmp_path: Path
) -> None:
    """A citizen of ``abroad`` (the wallet's home) at the desk of ``home``, whose ledger the
    wallet pins: the desk's key and accreditation are proven on the desk's ledger."""
    home, abroad = countries.home, countries.abroad
    pin(countries)  # the desk accepts abroad's national IDs
    settings = WalletSettings.load(
        tmp_path / "traveller",
        kdf_memory_kib=MIN_MEMORY_KIB,
        kdf_iterations=MIN_ITERATIONS,
        ledger_url=countries.abroad_url,
        ledger_key=abroad.genesis.vkey,
    )
    Pins(settings.federation_path).add(
        PinnedLedger(
            name="home",
            urls=countries.home_url,
            policy_text=policy_text(home),
            governance=DID(home.genesis.governance.did),
        )
    )
    now = countries.desk_clock.now
    with Wallet.create(settings, PASSPHRASE, clock=lambda: now) as wallet:
        wallet.import_file(foreign_file(countries, tmp_path, index=24))
        verifier = open_desk(countries)
        try:
            with serving(create_app(settings_for(home.root), verifier=verifier), 0) as url:
                verifier.base_url = url
                link = verifier.create_request("housing-benefit").link
                plan = wallet.prepare(link)
                assert plan.verifier == home.desk.did and not plan.not_allowed()
                outcome = wallet.present(plan)
        finally:
            verifier.close()
    assert outcome.receipt is not None and outcome.receipt.decision == "eligible"
