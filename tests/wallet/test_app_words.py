"""The wallet at 80x24 in people's words: the footer read whole, the receipt read to its
end, times in local time as people write them, nested claims as labelled groups, claim
names and decisions as words, and input fields that can be told from the page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Final

import pytest
from textual.widgets import Input

from civicid import words
from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings, kept_receipt, made_up
from tests.wallet.painted import painted
from wallet.app import WalletApp
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.screens.cards import CardsScreen
from wallet.screens.details import DetailsScreen
from wallet.screens.error import ErrorModal
from wallet.screens.history import HistoryScreen
from wallet.widgets.card import copies_words
from wallet.widgets.words import claim_words, day, decision_words, value_words, when

SIZE: Final = (80, 24)
DESK: Final = "did:civicid:deskdeskdeskdeskdeskdeskdeskdesk"
# NOW (1_780_000_000) is 28 May 2026, 20:26:40 UTC: 22:26 in Paris (CEST, UTC+2).
PARIS: Final = "Europe/Paris"
LABELS: Final = {
    "given_name": "Given name",
    "address": "Address",
    "address.locality": "Town",
    "address.postal_code": "Postcode",
    "age_equal_or_over": "Age",
    "age_equal_or_over.18": "Age 18 or over",
}


@pytest.fixture
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time zone is Paris for the test."""
    monkeypatch.setenv("TZ", PARIS)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_local_and_written_as_people_write_them(paris: None) -> None:
    assert when(NOW) == "28 May 2026, 22:26"
    assert day(NOW) == "28 May 2026"
    assert value_words("1990-12-10") == "10 Dec 1990"


def test_claims_values_and_decisions_in_words() -> None:
    assert claim_words("age_equal_or_over.18") == "Age 18 or over"
    assert claim_words("age_equal_or_over.18", LABELS) == "Age 18 or over"
    assert claim_words("given_name") == "Given name"
    assert claim_words("address.locality", LABELS) == "Town"
    assert claim_words("address.street_address", LABELS) == "Address / Street"  # as the desk
    assert claim_words("resident") == "Resident"
    assert value_words(True) == "yes" and value_words(False) == "no"
    assert value_words(["FR", "GB"]) == "FR, GB"
    assert value_words("2026-13-45") == "2026-13-45"  # not a date: shown as it is
    assert decision_words("not_eligible") == "Not eligible"
    assert decision_words("eligible") == "Eligible"


def test_a_labelled_claim_reads_as_the_desk_and_the_command_line_say_it() -> None:
    """A type's labels worded alike in the app and by the kernel (the desk's page, the
    command line), nested claims joined the one way."""
    labels = {**LABELS, "address.street_address": "Street"}
    for name in ("address.locality", "address.street_address", "age_equal_or_over.18"):
        assert claim_words(name, labels) == words.claim(name, labels), name


@pytest.mark.parametrize(
    "name",
    ["age_over.21", "age_under.25", "degrees[].type", "nationalities[0]", "place-of-birth"],
)
def test_every_claim_name_reads_as_the_kernel_words_it(name: str) -> None:
    """Numbered claims, array steps and any name: the app says what the command line and
    the desk's page say."""
    assert claim_words(name) == words.claim(name)


@pytest.mark.parametrize(
    "value",
    [{"street_address": "1 rue Neuve", "locality": "Lyon"}, {"a": [True, None]}, ["FR", 3]],
)
def test_values_read_as_the_kernel_words_them(value: object) -> None:
    assert value_words(value) == words.value(value)


def test_a_date_in_a_value_reads_as_a_date(paris: None) -> None:
    assert value_words({"birthdate": "1990-12-10"}) == "Date of birth: 10 Dec 1990"
    assert value_words(["1990-12-10", "2026-13-45"]) == "10 Dec 1990, 2026-13-45"


@pytest.mark.parametrize("decision", ["eligible", "not_eligible", "needs-review", "", None])
def test_decisions_read_as_the_kernel_words_them(decision: str | None) -> None:
    assert decision_words(decision) == words.decision(decision)


def test_copies_in_words() -> None:
    assert copies_words(3, 4) == "3 of 4 copies not shown to any desk yet"
    assert copies_words(0, 4) == "all 4 copies shown before"
    assert copies_words(1, 1) == "not shown yet"


def a_wallet(root: Path) -> Wallet:
    wallet = Wallet.create(fast_settings(root), PASSPHRASE, clock=lambda: NOW)
    claims = {
        "given_name": "Ada",
        "address": {"locality": "Lyon", "postal_code": "69002"},
        "age_equal_or_over": {"18": True, "65": False},
        "resident": True,
    }
    held = made_up(claims)
    wallet.add(replace(held, labels=LABELS, checked_at=NOW))
    return wallet


@pytest.mark.asyncio
async def test_footer_is_read_whole_at_80_columns(tmp_path: Path) -> None:
    with a_wallet(tmp_path / "data") as wallet:
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, CardsScreen)
            footer = painted(app)[1][-1]
            for key in (
                "r Receive", "p Present", "h History", "a Ask by rule", "u Update", "s Settings",
                "? Help", "^q Quit",
            ):  # fmt: skip
                assert key in footer, footer


@pytest.mark.asyncio
async def test_details_show_nested_claims_as_groups_and_local_times(
    tmp_path: Path, paris: None
) -> None:
    with a_wallet(tmp_path / "data") as wallet:
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailsScreen)
            lines = [line.rstrip() for line in painted(app)[1]]
            screen = "\n".join(lines)
            assert "Issued   28 May 2026, 22:26" in screen
            assert "2026-05-28" not in screen and "20:26" not in screen
            # The group's heading, then its parts indented under it with their labels.
            address = next(i for i, line in enumerate(lines) if line.split()[:1] == ["Address"])
            assert lines[address].split() == ["Address", "can", "keep", "back"]
            assert lines[address + 1].startswith("   Town") and "Lyon" in lines[address + 1]
            assert lines[address + 2].startswith("   Postcode") and "69002" in lines[address + 2]
            assert "locality" not in screen and "postal_code" not in screen
            age = next(i for i, line in enumerate(lines) if line.split()[:1] == ["Age"])
            # "Age 18 or over" under the heading "Age" says what the heading does not.
            assert lines[age + 1].split()[:4] == ["18", "or", "over", "yes"]
            assert lines[age + 2].split()[:4] == ["65", "or", "over", "no"]
            assert any(line.split()[:2] == ["Resident", "yes"] for line in lines)


@pytest.mark.asyncio
async def test_history_receipt_is_read_to_its_end_at_80x24(tmp_path: Path, paris: None) -> None:
    purpose = "Check that the applicant is a resident aged 18 or over, for a housing benefit claim"
    with a_wallet(tmp_path / "data") as wallet:
        [held] = wallet.credentials()
        wallet.record(
            Presentation(
                id="h1",
                at=NOW,
                verifier=DESK,
                client_id="decentralized_identifier:" + DESK,
                purpose=purpose,
                accreditation="acc-0e3ef06a415c",
                credential_id=held.id,
                copy_id=held.copies[0].id,
                vct=held.vct,
                disclosed=("resident", "age_equal_or_over.18"),
                decision="not_eligible",
                receipt_claims=kept_receipt(
                    DESK, "not_eligible", ("resident", "age_equal_or_over.18")
                ),
            )
        )
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("h")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            screen = "\n".join(painted(app)[1])
            assert "28 May 2026, 22:26" in screen
            assert "Resident, Age 18 or over" in screen
            assert "Not eligible" in screen and "not_eligible" not in screen
            assert "age_equal_or_over" not in screen
            # The receipt's last line is on the screen, not cut off by the panel.
            assert "it says it received Resident, Age 18 or over" in screen
            # A long purpose wraps under itself, not back under the words on the left.
            [tail] = [line for line in screen.splitlines() if "housing benefit claim" in line]
            assert tail.startswith("│" + " " * 12), tail


@pytest.mark.asyncio
async def test_input_fields_stand_out_from_the_page(tmp_path: Path) -> None:
    app = WalletApp(fast_settings(tmp_path / "new"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        page = app.screen.styles.background
        fields = list(app.screen.query(Input))
        focused = app.focused
        assert isinstance(focused, Input)
        for field in fields:
            assert field.styles.background != page, field.id
        others = [f for f in fields if f is not focused]
        assert all(f.styles.background != focused.styles.background for f in others)


@pytest.mark.asyncio
async def test_a_cut_link_says_what_to_do(holder: Wallet) -> None:
    app = WalletApp(holder.settings, wallet=holder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        field = app.screen.query_one("#link", Input)
        field.value = "openid-credential-offer://?credential_offer=%7B%22credential_iss"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "oid4vci_offer_invalid"
        assert "Copy the whole link again" in "\n".join(painted(app)[1])


def test_a_claim_without_a_label_is_worded_as_the_kernel_words_it() -> None:
    """The wallet app and the desk word an unlabelled claim alike: one list of words."""
    for name in ("birthdate", "locality", "address.locality", "address.postal_code"):
        assert claim_words(name) == words.claim(name), name
    assert claim_words("birthdate") == "Date of birth"
    assert claim_words("address.locality") == "Address / Town"
