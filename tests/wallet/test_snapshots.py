"""Snapshots of the main screens at 80x24 (pytest-textual-snapshot): a change to what the
citizen sees shows up as a failing picture (update with --snapshot-update after looking)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from civicid.dcql import ClaimsQuery, CredentialQuery, DcqlQuery
from civicid.oid4vp import AuthorizationRequest
from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings, kept_receipt, made_up
from wallet.app import WalletApp
from wallet.holder.credentials import REVOKED, Credential
from wallet.holder.history import Presentation
from wallet.holder.presentation import OPTIONAL, REQUIRED, ClaimChoice, Option, Plan, QueryPlan
from wallet.holder.wallet import Wallet
from wallet.screens.present import PresentScreen

DESK = "did:civicid:deskdeskdeskdeskdeskdeskdeskdesk"
AGENCY = "did:civicid:agencyagencyagencyagencyagency22"
SnapCompare = Any


def fixed(credential: Credential, ident: str, **changes: Any) -> Credential:
    copies = tuple(replace(c, id=f"{ident}-{n}") for n, c in enumerate(credential.copies))
    return replace(credential, id=ident, issuer=AGENCY, copies=copies, **changes)


def national_id() -> Credential:
    claims = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1990-12-10",
        "resident": True,
        "age_equal_or_over": {"18": True, "65": False},
    }
    held = made_up(claims)
    return fixed(
        replace(
            held,
            disclosable=(*held.disclosable[:4], ("age_equal_or_over", "18")),
            labels={"given_name": "Given name", "family_name": "Family name"},
            issuer_name="Civil Registry",
            expires_at=NOW + 365 * 86400,
            checked_at=NOW,
        ),
        "3f9a1c2e",
    )


def snapshot_wallet(root: Path) -> Wallet:
    wallet = Wallet.create(fast_settings(root), PASSPHRASE, clock=lambda: NOW)
    held = national_id()
    wallet.add(held)
    revoked = made_up({"card_number": "L-1234"}, copies=1)
    revoked = replace(revoked, copies=(replace(revoked.copies[0], status=REVOKED),))
    wallet.add(fixed(revoked, "77b0d4aa", type_name="Library card", issuer_name="City Library"))
    wallet.record(
        Presentation(
            id="h1",
            at=NOW + 60,
            verifier=DESK,
            client_id="decentralized_identifier:" + DESK,
            purpose="Confirm who you are before opening a file",
            accreditation="acc-0e3ef06a415c",
            credential_id=held.id,
            copy_id=held.copies[0].id,
            vct=held.vct,
            disclosed=("given_name", "resident"),
            withheld=("family_name",),
            decision="eligible",
            receipt_claims=kept_receipt(DESK, "eligible", ("given_name", "resident")),
        )
    )
    return wallet


def plan_for(held: Credential) -> Plan:
    query = CredentialQuery(
        id="id_card",
        format="dc+sd-jwt",
        meta={"vct_values": [held.vct]},
        claims=(ClaimsQuery(("given_name",)), ClaimsQuery(("resident",))),
    )
    request = AuthorizationRequest(
        client_id="decentralized_identifier:" + DESK,
        response_uri="https://desk.example/response",
        nonce="n" * 22,
        state="s" * 22,
        dcql_query=DcqlQuery((query,)),
        iat=NOW,
        exp=NOW + 300,
        policy="identity-check",
        purpose="Confirm who you are before opening a file",
    )
    choices = (
        ClaimChoice(("given_name",), "given_name", "Given name", "Ada", REQUIRED, True, True),
        ClaimChoice(("resident",), "resident", "resident", True, OPTIONAL, True, True),
        ClaimChoice(("birthdate",), "birthdate", "birthdate", "1990-12-10", OPTIONAL, False, True),
    )
    option = Option(
        credential=held,
        claims=choices,
        always_shared=(),
        accreditation="acc-0e3ef06a415c",
        accreditation_purpose="Check identity and residence at the town hall desk",
        legal_basis="Digital Identity Act 2026, s. 12",
        refusal="verifier_claims_not_allowed",
    )
    return Plan("openid4vp://?x", request, (QueryPlan(query, (option,)),), NOW)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times are shown in local time: the pictures are taken in UTC wherever they run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def app(tmp_path: Path) -> WalletApp:
    wallet = snapshot_wallet(tmp_path / "data")
    return WalletApp(wallet.settings, wallet=wallet)


def test_first_run(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(WalletApp(fast_settings(tmp_path / "new")))


def test_unlock(snap_compare: SnapCompare, tmp_path: Path) -> None:
    snapshot_wallet(tmp_path / "data").close()
    assert snap_compare(WalletApp(fast_settings(tmp_path / "data")))


def test_cards(snap_compare: SnapCompare, app: WalletApp) -> None:
    assert snap_compare(app)


def test_details(snap_compare: SnapCompare, app: WalletApp) -> None:
    assert snap_compare(app, press=["enter"])


def test_history(snap_compare: SnapCompare, app: WalletApp) -> None:
    assert snap_compare(app, press=["h"])


def test_help(snap_compare: SnapCompare, app: WalletApp) -> None:
    assert snap_compare(app, press=["question_mark"])


def test_present_plan(snap_compare: SnapCompare, app: WalletApp) -> None:
    async def show(pilot: Pilot[None]) -> None:
        assert app.wallet is not None
        screen = PresentScreen(app.wallet)
        await pilot.app.push_screen(screen)
        screen.show_plan(plan_for(national_id()))
        await pilot.pause()

    assert snap_compare(app, run_before=show)
