"""A receipt in the history names the desk as the request did: its name first, the DID
under it; a desk that registered no name by its DID alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wallet.conftest import NOW, PASSPHRASE, fast_settings
from tests.wallet.painted import painted
from tests.wallet.test_app import SIZE
from wallet.app import WalletApp
from wallet.cli import history_line
from wallet.holder.history import Presentation
from wallet.holder.wallet import Wallet
from wallet.screens.history import HistoryScreen

DESK = "did:civicid:bn7peq6xx24dp47xu5mx6ctyuqdp2flr"


def shown(name: str | None) -> Presentation:
    return Presentation(
        id="h1",
        at=NOW,
        verifier=DESK,
        verifier_name=name,
        client_id="decentralized_identifier:" + DESK,
        purpose="Confirm the customer is aged 18 or over",
        accreditation="acc-1",
        credential_id="c1",
        copy_id="c1-0",
        vct="https://civicid.example/vct/national-id",
        disclosed=("age_equal_or_over.18",),
        withheld=(),
        decision="eligible",
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "first", "second"),
    [("Cadur town hall desk", "Cadur town hall desk", DESK), (None, DESK, None)],
)
async def test_the_desk_by_its_name_then_its_did(
    tmp_path: Path, name: str | None, first: str, second: str | None
) -> None:
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        wallet.record(shown(name))
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("h")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            lines = [line.strip(" │") for line in painted(app)[1]]
            at = next(i for i, line in enumerate(lines) if line.startswith("Desk "))
            assert lines[at].removeprefix("Desk").strip() == first
            below = lines[at + 1].strip()
            assert (below == second) if second else below.startswith("Purpose")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("size", "desk"),
    [((80, 24), "Cadur town ha…"), ((120, 30), "Cadur town hall desk")],
)
async def test_a_wider_terminal_shows_more_of_the_desks_name(
    tmp_path: Path, size: tuple[int, int], desk: str
) -> None:
    """At 80 columns the desk's name is cut to fit; a wider terminal shows it whole (it
    was cut at any width, the rest of the line left empty)."""
    with Wallet.create(fast_settings(tmp_path / "data"), PASSPHRASE, clock=lambda: NOW) as wallet:
        wallet.record(shown("Cadur town hall desk"))
        app = WalletApp(wallet.settings, wallet=wallet)
        async with app.run_test(size=size) as pilot:
            await pilot.press("h")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            [row] = [line for line in painted(app)[1] if "Eligible" in line]
            assert f" {desk} " in row, row


@pytest.mark.parametrize(
    ("name", "desk"),
    [("Cadur town hall desk", "Cadur town hall desk"), (None, DESK[:28] + "…")],
)
def test_the_history_command_names_the_desk_as_the_app_does(name: str | None, desk: str) -> None:
    """`civicid wallet history` named every desk by the start of its DID."""
    assert f"  {desk}  shared " in history_line(shown(name), {})
