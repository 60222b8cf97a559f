"""The wallet's file damaged from outside while the wallet is open or locked (cut short, a
byte flipped, removed, replaced by a directory): the wallet says so with a code and loses
nothing it held: what it held is written again, and what was found is kept beside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import OptionList

from civicid.errors import Error
from tests.wallet.conftest import PASSPHRASE, made_up
from tests.wallet.test_app import SIZE, settle
from tests.wallet.test_locked_over_a_screen import opened, unlock
from tests.wallet.test_store import fingerprint
from wallet.holder import vault
from wallet.holder.wallet import Wallet
from wallet.screens.access import UnlockScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.error import ErrorModal
from wallet.settings import WalletSettings


def cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def flipped(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def removed(path: Path) -> None:
    path.unlink()


def a_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("not a wallet")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "cut": cut,
    "flipped": flipped,
    "removed": removed,
    "a directory": a_directory,
}


def asides(settings: WalletSettings) -> list[Path]:
    return sorted(settings.store_path.parent.glob(settings.store_path.name + ".damaged-*"))


def kept_aside(settings: WalletSettings, how: str, message: str) -> None:
    """What was found at the wallet's path is beside it, named in the message; a file
    removed leaves nothing to keep."""
    found = asides(settings)
    if how == "removed":
        assert found == [] and "removed" in message
        return
    [aside] = found
    assert aside.name in message
    assert aside.is_dir() == (how == "a directory")


@pytest.mark.parametrize("how", list(DAMAGE))
def test_damaged_while_open_is_said_at_the_next_write_and_kept_aside(
    wallet: Wallet, settings: WalletSettings, how: str
) -> None:
    held = made_up()
    wallet.add(held)
    DAMAGE[how](settings.store_path)
    later = made_up()
    wallet.add(later)
    notice = wallet.take_notice()
    assert notice is not None and notice.code == "wallet_store_put_back"
    assert str(settings.store_path) in notice.message
    kept_aside(settings, how, notice.message)
    assert wallet.take_notice() is None  # said once
    wallet.add(made_up())
    assert wallet.take_notice() is None  # the file as the wallet left it: nothing to say
    wallet.close()
    with Wallet.open(settings, PASSPHRASE) as again:
        assert {c.id for c in again.credentials()} >= {held.id, later.id}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_damaged_while_locked_is_written_again_at_unlock(
    wallet: Wallet, settings: WalletSettings, how: str
) -> None:
    held = made_up()
    wallet.add(held)
    wallet.lock()
    DAMAGE[how](settings.store_path)
    before = fingerprint(settings.data_dir)
    with pytest.raises(Error) as info:
        wallet.unlock("not the passphrase")
    assert info.value.code == "wallet_passphrase_wrong"
    assert fingerprint(settings.data_dir) == before and wallet.locked  # nothing moved
    wallet.unlock(PASSPHRASE)
    assert [c.id for c in wallet.credentials()] == [held.id]
    notice = wallet.take_notice()
    assert notice is not None and notice.code == "wallet_store_put_back"
    kept_aside(settings, how, notice.message)
    wallet.close()
    with Wallet.open(settings, PASSPHRASE) as again:
        assert [c.id for c in again.credentials()] == [held.id]


def test_a_failed_write_over_a_damaged_file_keeps_what_the_wallet_held(
    wallet: Wallet, settings: WalletSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the file again after a failed write, the wallet would lose everything it
    held to damage done outside it."""
    held = made_up()
    wallet.add(held)
    cut(settings.store_path)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vault, "write_private", disk_full)
    with pytest.raises(Error) as info:
        wallet.add(made_up())
    assert info.value.code == "wallet_store_write_failed"
    assert [c.id for c in wallet.credentials()] == [held.id]
    monkeypatch.undo()
    wallet.add(made_up())
    assert len(wallet.credentials()) == 2


def test_a_file_opened_elsewhere_while_locked_is_not_overwritten(
    wallet: Wallet, settings: WalletSettings
) -> None:
    """Locked, the wallet lets another program use the file (the CLI): what that program
    wrote is the wallet now, not damage to undo."""
    wallet.add(made_up())
    wallet.lock()
    with Wallet.open(settings, PASSPHRASE) as other:
        other.add(made_up())
    wallet.unlock(PASSPHRASE)
    assert len(wallet.credentials()) == 2
    assert wallet.take_notice() is None
    wallet.add(made_up())
    assert wallet.take_notice() is None and asides(settings) == []


@pytest.mark.asyncio
async def test_the_app_says_its_file_was_written_again_after_unlock(tmp_path: Path) -> None:
    app, wallet, _ = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.action_lock()
        await pilot.pause()
        cut(wallet.settings.store_path)
        await unlock(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_store_put_back"
        app.lock_when_idle()  # the next tick: said once
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CardsScreen)
        assert app.screen.query_one("#cards", OptionList).option_count == 1


@pytest.mark.asyncio
async def test_the_app_says_its_file_was_changed_while_open(tmp_path: Path) -> None:
    app, wallet, _ = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        flipped(wallet.settings.store_path)
        wallet.add(made_up())  # a write, as receiving a card makes
        app.lock_when_idle()  # the app's tick, each second
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_store_put_back"


@pytest.mark.asyncio
async def test_an_error_at_unlock_is_not_covered_by_another_lock(tmp_path: Path) -> None:
    """The app's tick each second saw a locked wallet under the unlock's own message and
    locked over it again: the message was gone in a second, at every try."""
    app, wallet, _ = opened(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.action_lock()
        await pilot.pause()
        with Wallet.open(wallet.settings, PASSPHRASE):  # another program has it open
            await unlock(pilot)
            assert isinstance(app.screen, ErrorModal)
            assert app.screen.error.code == "wallet_in_use"
            app.lock_when_idle()
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal)
            assert sum(isinstance(s, UnlockScreen) for s in app.screen_stack) == 1
        await pilot.press("enter")  # the message read
        await pilot.pause()
        await unlock(pilot)
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)
