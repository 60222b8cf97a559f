"""End to end on loopback with the REAL issuer and verifier: an agency issues a national ID
over OpenID4VCI, the citizen's wallet receives it, a desk asks over OpenID4VP, the wallet
presents, the desk decides and signs a receipt; then the agency revokes and the wallet sees
it on the ledger, and the desk says no."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from civicid.keystore import KeyStore
from cli.harness import free_port, serving
from issuer.app import create_app as issuer_app
from issuer.service import Issuer
from issuer.settings import ConfigurationSettings
from issuer.setup import add_clerk
from issuer.setup import initialize as issuer_init
from tests.wallet.conftest import PASSPHRASE, holder_settings
from tests.wallet.world import CLAIMS, NATIONAL_ID, LedgerWorld
from verifier.app import create_app as verifier_app
from verifier.service import Verifier
from verifier.settings import VerifierSettings
from wallet.holder.credentials import REVOKED, VALID
from wallet.holder.wallet import Wallet

ROOT = Path(__file__).parents[2]
POLICY = "housing-benefit"


class Loopback(httpx.HTTPTransport):
    """Requests under the agency's public https URL go to its server on 127.0.0.1, as a TLS
    front end mounting it there would send them; everything else goes where it says."""

    def __init__(self, public: str, local: str) -> None:
        super().__init__()
        self.public, self.prefix = urlsplit(public).netloc, urlsplit(public).path.rstrip("/")
        self.local = urlsplit(local)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.netloc.decode() == self.public and path.startswith(self.prefix + "/"):
            request.url = request.url.copy_with(
                scheme=self.local.scheme,
                host=self.local.hostname,
                port=self.local.port,
                path=path.removeprefix(self.prefix),
            )
        return super().handle_request(request)


@dataclass
class Services:
    issuer: Issuer
    issuer_url: str  # on loopback
    public_url: str  # the agency's https name, in offers and status list URIs
    api_key: str
    verifier: Verifier
    world: LedgerWorld


@pytest.fixture
def services(tmp_path: Path, ledger_world: LedgerWorld) -> Iterator[Services]:
    world = ledger_world
    # The agency: the world's accredited agency, which registered the national ID type.
    agency_dir = tmp_path / "agency"
    KeyStore(agency_dir / "keys").put("agency", world.agency.to_json())
    # Under the base URL the agency named on the ledger; a path of its own per test.
    public = f"https://agency.civicid.example/registry-{secrets.token_hex(4)}"
    initialized = issuer_init(
        agency_dir,
        configurations=[ConfigurationSettings(id="national_id", vct=NATIONAL_ID, batch_size=3)],
        public_url=public,
        ledger_url=world.url,
        checkpoint_key=world.vkey,
        identity="agency",
        status_list_size=1024,
    )
    api_key = add_clerk(initialized.settings, "alice", ["issue", "revoke"]).api_key
    issuer = Issuer.open(initialized.settings)
    # The desk: a service desk accredited for exactly what the housing-benefit policy asks.
    desk_dir = tmp_path / "desk"
    desk = world.register("service-desk")
    world.accredit(desk, claims={NATIONAL_ID: ["resident", "age_equal_or_over.18"]})
    KeyStore(desk_dir / "keys").put("desk", desk.to_json())
    policies = desk_dir / "policies"
    policies.mkdir()
    shutil.copy(ROOT / "examples" / "policies" / f"{POLICY}.toml", policies)
    desk_port = free_port()
    verifier = Verifier.open(
        VerifierSettings(
            data_dir=desk_dir,
            ledger_url=world.url,
            checkpoint_key=world.vkey,
            policies_dir=policies,
            public_url=f"http://127.0.0.1:{desk_port}",
        )
    )
    with (
        serving(issuer_app(issuer=issuer, background=False), free_port()) as issuer_url,
        serving(verifier_app(verifier=verifier), desk_port),
    ):
        yield Services(issuer, issuer_url, public, api_key, verifier, world)
    issuer.close()
    verifier.close()


def test_receive_present_revoke(tmp_path: Path, services: Services) -> None:
    issuer, world = services.issuer, services.world
    clerk = issuer.authorize(services.api_key, ("issue",), "offer.create")
    offer = issuer.create_offer(clerk, configuration="national_id", record="r-1", claims=CLAIMS)
    assert offer.tx_code is not None
    transport = Loopback(services.public_url, services.issuer_url)
    settings = holder_settings(tmp_path / "citizen", world)
    with Wallet.create(settings, PASSPHRASE, transport=transport) as wallet:
        # Receive: reviewed against the ledger, then the batch, every copy verified.
        review = wallet.review_offer(offer.link_by_reference)
        assert review.issuer_did == world.agency.did
        # Declined once, reviewed again: served once, the wallet kept it, so it still works.
        review = wallet.review_offer(offer.link_by_reference)
        [held] = wallet.accept_offer(review, offer.tx_code)
        assert held.claims["given_name"] == "Ada" and len(held.copies) == 3
        assert held.status(int(time.time())) == VALID
        # Present to the real desk: only what its policy asks, key-bound, receipt kept.
        created = services.verifier.create_request(POLICY)
        plan = wallet.prepare(created.link)
        names = [c.name for c in plan.queries[0].options[0].claims]
        assert set(names) == {"resident", "age_equal_or_over.18"}
        assert all(c.allowed for c in plan.queries[0].options[0].claims)
        outcome = wallet.present(plan)
        assert outcome.receipt is not None and outcome.receipt.decision == "eligible"
        # The nested claim travels with its parent's Disclosure (an object of digests only);
        # the receipt names the claim asked, not that parent.
        assert outcome.receipt.claim_names == ("age_equal_or_over.18", "resident")
        [entry] = wallet.history()
        assert entry.decision == "eligible" and entry.receipt is not None
        # The agency revokes; the list goes to the ledger; the wallet reads it from there.
        revoker = issuer.authorize(services.api_key, ("revoke",), "credential.revoke")
        for issued in issuer.credentials(record="r-1", status=None, limit=10, offset=0):
            issuer.set_status(revoker, issued.id, "revoke")
        issuer.publish()
        report = wallet.refresh()
        assert report.changed == (held.id,)
        assert wallet.credential(held.id).status(int(time.time())) == REVOKED
        # A revoked card is not offered to a desk any more, and the wallet says why.
        again = services.verifier.create_request(POLICY)
        with pytest.raises(Exception) as info:
            wallet.prepare(again.link)
        assert getattr(info.value, "code", None) == "wallet_credential_revoked"
