"""The wallet's checkpoint file (the ledger checkpoint it trusts, its guard against a ledger
rolled back) damaged, replaced or removed from outside while the wallet is open was written
over from memory at the ledger client's next checkpoint, without a word. It is now written
again at once from what the client holds, what was found kept beside it, and said once
(``wallet_checkpoint_put_back``), as the store's file is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.wallet.test_app import SIZE
from tests.wallet.test_damaged_while_open import DAMAGE
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.error import ErrorModal


def trusting(wallet: Wallet) -> bytes:
    """The wallet, having trusted the ledger's checkpoint: the file as the client wrote it."""
    wallet.ledger.checkpoint()
    assert wallet.take_notice() is None  # the client's own write is no damage
    return wallet.settings.trust_file.read_bytes()


def asides(wallet: Wallet) -> list[Path]:
    path = wallet.settings.trust_file
    return sorted(path.parent.glob(path.name + ".damaged-*"))


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_checkpoint_file_is_put_back_and_said_once(holder: Wallet, how: str) -> None:
    held = trusting(holder)
    damage: Callable[[Path], None] = DAMAGE[how]
    damage(holder.settings.trust_file)
    notice = holder.take_notice()
    assert notice is not None and notice.code == "wallet_checkpoint_put_back"
    assert holder.settings.trust_file.read_bytes() == held
    if how == "removed":
        assert "was removed" in notice.message and asides(holder) == []
    else:
        [aside] = asides(holder)
        assert aside.name in notice.message
    assert holder.take_notice() is None  # said once
    holder.refresh()  # the ledger is asked as before, its checkpoint kept
    assert holder.take_notice() is None
    assert holder.settings.trust_file.read_bytes().startswith(held.split(b"\n")[0])


def test_a_checkpoint_file_damaged_before_any_use_is_caught_first(holder: Wallet) -> None:
    """Damage found when a flow starts, before the client could write over it."""
    held = trusting(holder)
    holder.settings.trust_file.write_bytes(b"not a checkpoint\n")
    holder.trust  # noqa: B018 (the start of every flow)
    assert holder.settings.trust_file.read_bytes() == held
    notice = holder.take_notice()
    assert notice is not None and notice.code == "wallet_checkpoint_put_back"


@pytest.mark.asyncio
async def test_the_app_says_the_checkpoint_file_was_written_again(holder: Wallet) -> None:
    trusting(holder)
    app = WalletApp(holder.settings, wallet=holder)
    async with app.run_test(size=SIZE) as pilot:
        holder.settings.trust_file.write_bytes(b"garbage")
        app.lock_when_idle()  # the app's tick, each second
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_checkpoint_put_back"
        assert app.screen.heading == "Your checkpoint file was changed from outside"
