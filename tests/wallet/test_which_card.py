"""Two cards of one type that could answer a desk are told apart by when each was issued:
the choice offered "National ID (3f9a1c2e)" and "National ID (9b8c7d6e)", which a person
cannot tell apart. The cards screen too: two like cards (same title and agency) say when each
was issued; a card alone of its kind does not."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import OptionList, Select

from tests.wallet.test_app import SIZE
from tests.wallet.test_snapshots import national_id, plan_for, snapshot_wallet
from wallet.app import WalletApp
from wallet.screens.cards import CardsScreen
from wallet.screens.present import PresentScreen
from wallet.widgets.card import CredentialCard

DAY = 86400


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.asyncio
async def test_two_cards_of_one_type_by_when_issued(tmp_path: Path) -> None:
    first = national_id()
    again = replace(first, id="9b8c7d6e", issued_at=first.issued_at + 30 * DAY)
    plan = plan_for(first)
    [query] = plan.queries
    option = query.options[0]
    both = replace(query, options=(option, replace(option, credential=again)))
    wallet = snapshot_wallet(tmp_path / "data")
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        screen = PresentScreen(wallet)
        await app.push_screen(screen)
        screen.show_plan(replace(plan, queries=(both,)))
        await pilot.pause()
        which = screen.query_one("#which", Select)
        said = [str(prompt) for prompt, _ in which._options]
    wallet.close()
    assert said == [
        "National ID, issued 28 May 2026, 20:26 (3f9a1c2e)",
        "National ID, issued 27 Jun 2026, 20:26 (9b8c7d6e)",
    ]


def card_lines(app: WalletApp) -> list[str]:
    cards = app.screen.query_one("#cards", OptionList)
    return [
        str(cards.get_option_at_index(i).prompt).splitlines()[0]
        for i in range(cards.option_count)
        if isinstance(cards.get_option_at_index(i), CredentialCard)
    ]


@pytest.mark.asyncio
async def test_the_cards_screen_tells_two_like_cards_apart_by_when_issued(
    tmp_path: Path,
) -> None:
    # The snapshot wallet holds a national ID and a library card: each alone of its kind.
    wallet = snapshot_wallet(tmp_path / "data")
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CardsScreen)
        assert not any("issued" in line for line in card_lines(app))
    # A second national ID from the same agency, issued a month later.
    [first] = [c for c in wallet.credentials() if c.title == "National ID"]
    wallet.add(replace(first, id="9b8c7d6e", issued_at=first.issued_at + 30 * DAY))
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = card_lines(app)
    wallet.close()
    dated = [line.split("  ")[0] for line in lines if line.startswith("National ID")]
    assert dated == [
        "National ID, issued 28 May 2026, 20:26",
        "National ID, issued 27 Jun 2026, 20:26",
    ]
    assert any(line.startswith("Library card ") for line in lines)  # alone: no date
