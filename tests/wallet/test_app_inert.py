"""Strings from outside (claim values, names, a desk's purpose, URLs) reach the citizen's
terminal inert: no Textual markup is read in them, no escape sequence is passed through, and
the warnings the wallet adds stay visible around them. Each screen that shows such a string
is painted with hostile values and what would go to the terminal is read back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Final

import pytest

from civicid.console import inert
from civicid.dcql import ClaimsQuery, CredentialQuery, DcqlQuery
from civicid.errors import Error
from civicid.oid4vci import CredentialIssuerMetadata, CredentialOffer, TxCode
from civicid.oid4vp import AuthorizationRequest
from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings, made_up
from tests.wallet.painted import painted
from wallet.app import WalletApp
from wallet.holder.history import Presentation
from wallet.holder.issuance import Offered, OfferReview
from wallet.holder.presentation import OPTIONAL, REQUIRED, ClaimChoice, Option, Plan, QueryPlan
from wallet.holder.wallet import Wallet
from wallet.screens.details import DetailsScreen
from wallet.screens.error import ErrorModal
from wallet.screens.history import HistoryScreen
from wallet.screens.present import PresentScreen
from wallet.screens.receive import ReceiveScreen
from wallet.widgets.inert import plain

SIZE: Final = (80, 24)
DESK: Final = "did:civicid:deskdeskdeskdeskdeskdeskdeskdesk"

# Textual markup that would make a link, bind a click to an action, or hide text.
LINK: Final = "[link=http://x.test]L[/link]"
CLICK: Final = "[@click=app.quit]C[/]"
CONCEAL: Final = "[conceal]H[/conceal]"
MARKUP: Final = (LINK, CLICK, CONCEAL)
# Terminal escapes: clipboard write (OSC 52), hyperlink (OSC 8), clear screen, conceal.
OSC52: Final = "\x1b]52;c;ZXZpbA==\x07"
OSC8: Final = "\x1b]8;;http://x.test\x1b\\h\x1b]8;;\x1b\\"
CLEAR: Final = "\x1b[2J"
HIDE: Final = "\x1b[8m"
C1_CSI: Final = "\x9b2J"  # the 8-bit form of CLEAR
ESCAPES: Final = (OSC52, OSC8, CLEAR, HIDE, C1_CSI)


def hostile(n: int) -> str:
    """One markup tag and one escape, short enough to fit a line at 80 columns."""
    return MARKUP[n % len(MARKUP)] + ESCAPES[n % len(ESCAPES)]


def assert_inert(app: WalletApp, *, markup: tuple[str, ...], visible: tuple[str, ...]) -> None:
    terminal, lines = painted(app)
    screen = "\n".join(lines)
    # No escape from outside: no OSC at all (no clipboard, no hyperlink: the wallet makes
    # none), no clear, no conceal, no bell, no 8-bit control.
    for sequence in ("\x1b]", "\x1b[2J", "\x1b[8m", "\x07", "\x9b"):
        assert sequence not in terminal, (sequence, screen)
    for tag in markup:  # shown as typed, not read as markup
        assert tag in screen, (tag, screen)
    for words in visible:
        assert words in screen, (words, screen)


@pytest.mark.asyncio
async def test_a_hostile_card_is_shown_inert(tmp_path: Path) -> None:
    claims = {"given_name": hostile(0), "family_name": hostile(1), "address": {"x": hostile(2)}}
    held = replace(
        made_up(claims),
        type_name=LINK + OSC52,
        issuer_name=CLICK + CLEAR,
        labels={"given_name": CONCEAL + HIDE},
    )
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        wallet.add(held)
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert_inert(app, markup=(LINK, CLICK), visible=("valid",))
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailsScreen)
            assert_inert(app, markup=(LINK, CLICK, CONCEAL), visible=("valid",))


def hostile_plan(held_claims: dict[str, str]) -> Plan:
    held = replace(made_up(held_claims), type_name=LINK + OSC8)
    query = CredentialQuery(
        id="id_card",
        format="dc+sd-jwt",
        meta={"vct_values": [held.vct]},
        claims=(ClaimsQuery(("given_name",)), ClaimsQuery(("family_name",))),
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
        purpose=CONCEAL + HIDE + "Open a file",
    )
    choices = (
        ClaimChoice(
            ("given_name",),
            "given_name",
            CLICK + OSC52,
            held_claims["given_name"],
            REQUIRED,
            False,
            True,
        ),
        ClaimChoice(
            ("family_name",),
            "family_name",
            "Family name",
            held_claims["family_name"],
            OPTIONAL,
            False,
            True,
        ),
    )
    option = Option(
        credential=held,
        claims=choices,
        always_shared=(LINK + CLEAR,),
        accreditation=None,
        accreditation_purpose=None,
        legal_basis=None,
        refusal="verifier_not_accredited",
    )
    return Plan(
        "openid4vp://?x",
        request,
        (QueryPlan(query, (option,)),),
        NOW,
        verifier_name=LINK + OSC52,
    )


@pytest.mark.asyncio
async def test_a_hostile_request_is_shown_inert_and_not_accredited_stays_visible(
    tmp_path: Path,
) -> None:
    plan = hostile_plan({"given_name": hostile(1), "family_name": hostile(3)})
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            screen = PresentScreen(wallet)
            await app.push_screen(screen)
            screen.show_plan(plan)
            await pilot.pause()
            assert_inert(
                app, markup=(CONCEAL, CLICK, LINK), visible=("NOT accredited", "NOT ALLOWED")
            )


@pytest.mark.asyncio
async def test_a_hostile_history_entry_is_shown_inert(tmp_path: Path) -> None:
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        wallet.record(
            Presentation(
                id="h1",
                at=NOW,
                verifier=DESK,
                verifier_name=CLICK + CLEAR,
                client_id="decentralized_identifier:" + DESK,
                purpose=CONCEAL + OSC52,
                accreditation=None,
                credential_id="c1",
                copy_id="c1-0",
                vct="https://civicid.example/vct/national-id",
                disclosed=(CLICK + CLEAR,),
                withheld=(),
                decision=LINK + HIDE,
                unaccredited=(CLICK + CLEAR,),
            )
        )
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("h")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            assert_inert(app, markup=(CONCEAL, CLICK), visible=("not accredited",))


@pytest.mark.asyncio
async def test_a_hostile_offer_is_shown_inert(tmp_path: Path) -> None:
    offer = CredentialOffer.from_json(
        {
            "credential_issuer": "https://agency.example",
            "credential_configuration_ids": ["national_id"],
            "grants": {
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "abc"
                }
            },
        }
    )
    review = OfferReview(
        offer=offer,
        metadata=CredentialIssuerMetadata.model_construct(batch_size=3),
        token_endpoint="https://agency.example/token",
        issuer_did="did:civicid:agencyagencyagencyagencyagency22",
        issuer_name=CLICK + OSC52,
        offered=(Offered("national_id", "https://x.test/vct", LINK + CLEAR, "acc-1", None),),
        tx_code=TxCode(description=CONCEAL + HIDE),
    )
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            screen = ReceiveScreen(wallet)
            await app.push_screen(screen)
            screen.reviewed(review)
            await pilot.pause()
            assert_inert(app, markup=(CLICK, LINK, CONCEAL), visible=("✔ accredited to issue",))


@pytest.mark.asyncio
async def test_a_hostile_error_message_is_shown_inert(tmp_path: Path) -> None:
    error = Error("http_unreachable", f"the desk at {LINK}{OSC8} answered {CONCEAL}{CLEAR}")
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await app.push_screen(ErrorModal(error))
            await pilot.pause()
            assert_inert(app, markup=(LINK, CONCEAL), visible=("did not work",))


def test_inert_shows_each_control_as_its_escape_and_keeps_words() -> None:
    assert inert("Ada\x1b]52;c;eA==\x07") == "Ada\\x1b]52;c;eA==\\x07"
    assert inert("\x9b2J") == "\\x9b2J"
    # A purpose cannot start a line of its own, nor reorder what is read (Trojan Source).
    assert inert("x\n✔ Accredited") == "x\\x0a✔ Accredited"
    assert inert("abc\u202edcb") == "abc\\u202edcb"
    assert inert("Émile Zoë, 12 Rue de la Paix") == "Émile Zoë, 12 Rue de la Paix"
    assert plain("[b]", ("[i]x", "bold")).plain == "[b][i]x"
