"""A desk that says "not eligible" says why in its signed receipt (the failing step's code):
the wallet shows it in the desk's own words, with the code, on the decision, in the history
and on the command line. The step is the desk's text: a code this wallet does not know is
worded in general terms, and text that is no code is not echoed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.pilot import Pilot

from civicid.eligibility.decision import DEFAULT_PLAIN
from civicid.oid4vp import Receipt
from tests.wallet.conftest import kept_receipt
from tests.wallet.painted import painted
from tests.wallet.rogue_desk import RogueDesk
from tests.wallet.test_app import SIZE, fill, settle
from tests.wallet.test_history_names import shown
from wallet.app import WalletApp
from wallet.cli import history_line
from wallet.holder.presentation import refusal
from wallet.holder.wallet import Wallet
from wallet.screens.history import HistoryScreen
from wallet.screens.present import PresentScreen

DESK = "did:civicid:deskdeskdeskdeskdeskdeskdeskdesk"
WHY = "The shared information does not meet this check's conditions. [predicate_failed]"
REVOKED = "The card has been revoked by the agency that issued it."


def refused_by(step: str | None) -> Receipt:
    return replace(kept_receipt(DESK, "not_eligible", ("resident",)), failed_step=step)


async def decided(pilot: Pilot[None], link: str) -> str:
    """Answer the desk's request ``link`` from the cards; the decision shown."""
    await pilot.press("p")
    assert isinstance(pilot.app.screen, PresentScreen)
    await fill(pilot, "#link", link, submit=True)
    await pilot.click("#send")
    await settle(pilot)
    return str(pilot.app.screen.query_one("#decision").render())


@pytest.mark.asyncio
async def test_not_eligible_says_why_on_the_decision_and_in_the_history(
    citizen: Wallet, desk_stub: RogueDesk
) -> None:
    desk_stub.behaviour.failed_step = "predicate_failed"
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=(120, 40)) as pilot:
        decision = await decided(pilot, desk_stub.link())
        assert "✘ Not eligible" in decision
        assert f"Why: {WHY}" in decision
        await pilot.press("escape", "h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        receipt = "\n".join(painted(app)[1])
        assert "checked: Not eligible" in receipt
        assert f"why: {WHY}" in receipt


@pytest.mark.asyncio
async def test_eligible_gives_no_reason(citizen: Wallet, desk_stub: RogueDesk) -> None:
    app = WalletApp(citizen.settings, wallet=citizen)
    async with app.run_test(size=SIZE) as pilot:
        decision = await decided(pilot, desk_stub.link())
        assert "✔ Eligible" in decision and "Why" not in decision


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ("predicate_failed", WHY),
        ("status_revoked", f"{REVOKED} [status_revoked]"),
        ("made_up_step", f"{DEFAULT_PLAIN} [made_up_step]"),
        # Not a code: worded in general terms, the desk's text not echoed.
        ("Call 555-0100 to\nappeal", DEFAULT_PLAIN),
        ("x_" + "y" * 200, DEFAULT_PLAIN),
        (None, ""),
    ],
)
def test_the_failed_step_in_words(step: str | None, said: str) -> None:
    assert refusal(refused_by(step)) == said


def test_an_eligible_receipt_or_none_gives_no_reason() -> None:
    assert refusal(kept_receipt(DESK, "eligible", ("resident",))) == ""
    assert refusal(None) == ""


def test_the_history_line_says_why() -> None:
    entry = replace(
        shown("Cadur town hall desk"),
        decision="not_eligible",
        receipt_claims=refused_by("predicate_failed"),
    )
    assert history_line(entry, {}).endswith(f"→ Not eligible ({WHY})")
