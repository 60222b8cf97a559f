"""Two cards of one type that could answer a desk are told apart by when each was issued:
the choice offered "National ID (3f9a1c2e)" and "National ID (9b8c7d6e)", which a person
cannot tell apart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Select

from tests.wallet.test_app import SIZE
from tests.wallet.test_snapshots import national_id, plan_for, snapshot_wallet
from wallet.app import WalletApp
from wallet.screens.present import PresentScreen

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
