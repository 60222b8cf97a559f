"""The wallet locked over a screen a person was using: keys typed before the passphrase
field had the focus (meant for the screen the lock covered) are not taken as the passphrase,
what is typed after is; and unlocking over a task whose answer was shown before the lock
shows that task fresh, not the old answer as if it had just come. An answer that came while
the wallet was locked, and a task not finished, are kept as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList

from tests.wallet.conftest import PASSPHRASE, Ticker, fast_settings, made_up
from tests.wallet.test_app import SIZE, settle
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.access import UnlockScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.receive import ReceiveScreen
from wallet.screens.settings import SettingsScreen
from wallet.widgets.passphrase import hint

pytestmark = pytest.mark.asyncio


def opened(tmp_path: Path) -> tuple[WalletApp, Wallet, Ticker]:
    ticker = Ticker()
    settings = fast_settings(tmp_path / "data")
    wallet = Wallet.create(settings, PASSPHRASE, monotonic=ticker)
    wallet.add(made_up())
    return WalletApp(settings, wallet=wallet), wallet, ticker


async def idle_lock(pilot: Pilot[None], wallet: Wallet, ticker: Ticker) -> UnlockScreen:
    ticker.now += wallet.settings.idle_timeout + 1
    app = pilot.app
    assert isinstance(app, WalletApp)
    app.lock_when_idle()
    await pilot.pause()
    assert isinstance(app.screen, UnlockScreen) and wallet.locked
    return app.screen


async def unlock(pilot: Pilot[None]) -> None:
    await pilot.press(*PASSPHRASE, "enter")
    await settle(pilot)


async def handed_over(pilot: Pilot[None], keys: list[events.Key]) -> None:
    """Keys the terminal's reader made earlier, delivered now."""
    for key in keys:
        pilot.app.post_message(key)
    await pilot.pause()


async def taken_as_the_passphrase(pilot: Pilot[None], screen: UnlockScreen) -> None:
    """The field holds the whole passphrase, and Enter opens the wallet."""
    assert pilot.app.screen is screen
    assert screen.query_one("#passphrase", Input).value == PASSPHRASE
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CardsScreen)


async def test_keys_typed_before_the_lock_are_not_the_passphrase(tmp_path: Path) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, ReceiveScreen)
        # Typed at the offer link field as the wallet locked itself, delivered after.
        early = [events.Key(c, c) for c in "https"] + [events.Key("enter", "\r")]
        screen = await idle_lock(pilot, wallet, ticker)
        await handed_over(pilot, early)
        field = screen.query_one("#passphrase", Input)
        assert field.value == "" and app.screen is screen
        assert str(screen.query_one("#problem").render()) == ""  # no wrong passphrase sent
        await pilot.press(*"typed")  # what the person types once the lock shows is theirs
        assert field.value == "typed"
        field.value = ""
        await unlock(pilot)
        assert not wallet.locked and isinstance(app.screen, ReceiveScreen)


async def test_a_fresh_start_takes_the_passphrase_as_typed(tmp_path: Path) -> None:
    app, wallet, _ = opened(tmp_path)
    wallet.close()
    app = WalletApp(wallet.settings)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await unlock(pilot)
        assert isinstance(app.screen, CardsScreen)


async def test_a_fresh_start_takes_keys_typed_before_the_field_had_the_focus(
    tmp_path: Path,
) -> None:
    app, wallet, _ = opened(tmp_path)
    wallet.close()
    app = WalletApp(wallet.settings)
    # Typed while the app was starting: the terminal hands them over once the app reads
    # its input, after the passphrase field took the focus. No screen is under it: they
    # are the passphrase.
    ahead = [events.Key(c, c) for c in PASSPHRASE]
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        await handed_over(pilot, ahead)
        await taken_as_the_passphrase(pilot, screen)


async def test_keys_typed_as_the_terminal_is_back_in_front_are_the_passphrase(
    tmp_path: Path,
) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await idle_lock(pilot, wallet, ticker)
        app.post_message(events.AppBlur())  # the person went to another window
        await pilot.pause()
        # Back, typing at once: the terminal's reader made these keys before the field was
        # given the focus again (a Focus event newer than them). They saw the lock: the
        # keys are the passphrase.
        typed = [events.Key(c, c) for c in PASSPHRASE]
        app.post_message(events.AppFocus())
        await handed_over(pilot, typed)
        await taken_as_the_passphrase(pilot, screen)
        assert not wallet.locked


async def test_an_answer_shown_before_the_lock_is_not_shown_again(tmp_path: Path) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        before = app.screen
        assert isinstance(before, ReceiveScreen)
        before.received([made_up()])
        await pilot.pause()
        assert before.query_one("#received", OptionList).display
        await idle_lock(pilot, wallet, ticker)
        await unlock(pilot)
        after = app.screen
        assert isinstance(after, ReceiveScreen) and after is not before
        assert not after.query_one("#received", OptionList).display
        assert after.query_one("#link", Input).value == ""
        await pilot.press("escape")
        assert isinstance(app.screen, CardsScreen)  # the stack as it was beneath


async def test_an_answer_that_came_while_locked_is_kept(tmp_path: Path) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        before = app.screen
        assert isinstance(before, ReceiveScreen)
        await idle_lock(pilot, wallet, ticker)
        before.received([made_up()])  # the network answered after the lock: not seen yet
        await unlock(pilot)
        assert app.screen is before
        assert before.query_one("#received", OptionList).display


async def test_a_task_not_finished_is_kept_as_it_was(tmp_path: Path) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        before = app.screen
        assert isinstance(before, ReceiveScreen)
        before.query_one("#link", Input).value = "openid-credential-offer://half"
        await idle_lock(pilot, wallet, ticker)
        await unlock(pilot)
        assert app.screen is before
        assert before.query_one("#link", Input).value == "openid-credential-offer://half"


async def test_typing_at_a_field_is_use_the_wallet_does_not_lock_under_it(
    tmp_path: Path,
) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, ReceiveScreen)
        for letter in "openid":  # each letter well within the timeout of the one before
            ticker.now += wallet.settings.idle_timeout * 0.6
            await pilot.press(letter)
            app.lock_when_idle()
            await pilot.pause()
            assert not wallet.locked and isinstance(app.screen, ReceiveScreen)
        assert app.screen.query_one("#link", Input).value == "openid"
        ticker.now += wallet.settings.idle_timeout + 1  # then truly idle: it locks
        app.lock_when_idle()
        await pilot.pause()
        assert wallet.locked and isinstance(app.screen, UnlockScreen)


async def test_secrets_typed_in_the_settings_are_forgotten_when_it_locks(tmp_path: Path) -> None:
    app, wallet, ticker = opened(tmp_path)
    secrets = ("#old", "#new", "#again", "#backup-passphrase")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        for selector in secrets:
            screen.query_one(selector, Input).value = "typed secret words"
        await pilot.pause()
        assert str(screen.query_one(".hint", Label).render()) != hint("")
        await idle_lock(pilot, wallet, ticker)
        # Gone while locked, not only once unlocked: behind the lock nothing of them is kept.
        assert [screen.query_one(s, Input).value for s in secrets] == [""] * len(secrets)
        await unlock(pilot)
        assert app.screen is screen  # the same screen, the rest of it as it was
        assert [screen.query_one(s, Input).value for s in secrets] == [""] * len(secrets)
        assert screen.query_one("#ledger", Input).value == wallet.settings.ledger_url
        assert str(screen.query_one(".hint", Label).render()) == hint("")


async def test_a_transaction_code_typed_is_forgotten_when_it_locks(tmp_path: Path) -> None:
    app, wallet, _ = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReceiveScreen)
        assert not wallet.locked
        screen.query_one("#link", Input).value = "openid-credential-offer://half"
        screen.query_one("#tx-code", Input).value = "493528"
        app.action_lock()  # locked by hand (l, or the palette), not by idling
        await pilot.pause()
        await unlock(pilot)
        assert app.screen is screen
        assert screen.query_one("#tx-code", Input).value == ""
        assert screen.query_one("#link", Input).value == "openid-credential-offer://half"


async def test_enter_at_an_empty_passphrase_says_what_to_do(tmp_path: Path) -> None:
    app, wallet, ticker = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await idle_lock(pilot, wallet, ticker)
        await pilot.press("enter")
        await pilot.pause()
        said = str(screen.query_one("#problem", Label).render())
        assert said == "Type your passphrase, then Enter.", said
        assert wallet.locked and app.screen is screen
