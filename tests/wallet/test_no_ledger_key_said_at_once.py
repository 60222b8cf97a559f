"""A wallet with no ledger checkpoint key can believe nothing the ledger says: the person is
told when the wallet is made or opened, with what to do, not at the first card. The first run
makes no wallet without a key (as ``wallet init`` refuses it); a wallet opened without one
(its key store or settings lost since) says so at once (``wallet_ledger_unconfigured``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Label

from civicid.checkpoint import NoteSigner
from civicid.keystore import KeyStore
from tests.wallet.conftest import PASSPHRASE
from tests.wallet.painted import painted
from tests.wallet.test_app import SIZE, fill, settle
from tests.wallet.test_settings_ledger_key import TALL
from wallet.app import WalletApp
from wallet.holder.vault import MIN_ITERATIONS, MIN_MEMORY_KIB
from wallet.holder.wallet import Wallet
from wallet.screens.access import NO_KEY, FirstRunScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.error import ErrorModal
from wallet.settings import LEDGER_CHECKPOINT_KEY_NAME, WalletSettings

pytestmark = pytest.mark.asyncio
KEY = NoteSigner.generate("civicid.example/ledger").vkey()


def keyless(root: Path) -> WalletSettings:
    settings = WalletSettings.load(
        root, kdf_memory_kib=MIN_MEMORY_KIB, kdf_iterations=MIN_ITERATIONS
    )
    assert settings.key_or_none() is None
    return settings


async def test_the_first_run_makes_no_wallet_without_a_key(tmp_path: Path) -> None:
    settings = keyless(tmp_path / "data")
    app = WalletApp(settings)
    async with app.run_test(size=TALL) as pilot:
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#again", PASSPHRASE)
        screen.query_one("#create", Button).press()
        await settle(pilot)
        assert app.screen is screen
        said = str(screen.query_one("#problem", Label).render())
        assert "checkpoint key" in said and "operator publishes it" in said
        assert app.focused is screen.query_one("#ledger-key")
        assert not settings.store_path.exists()
        # With the key typed, the same form makes it.
        await fill(pilot, "#ledger-key", KEY)
        screen.query_one("#create", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)
    assert WalletSettings.load(settings.data_dir).ledger_key == KEY
    Wallet.open(settings, PASSPHRASE).close()


async def test_a_key_in_the_data_dir_s_key_store_will_do(tmp_path: Path) -> None:
    root = tmp_path / "data"
    KeyStore(root / "keys").put(LEDGER_CHECKPOINT_KEY_NAME, {"vkey": KEY})
    settings = WalletSettings.load(
        root, kdf_memory_kib=MIN_MEMORY_KIB, kdf_iterations=MIN_ITERATIONS
    )
    app = WalletApp(settings)
    async with app.run_test(size=TALL) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#again", PASSPHRASE)
        app.screen.query_one("#create", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)


async def test_a_wallet_opened_without_a_key_says_so_at_once(tmp_path: Path) -> None:
    settings = keyless(tmp_path / "data")
    Wallet.create(settings, PASSPHRASE).close()  # made before its key was lost
    app = WalletApp(settings)
    async with app.run_test(size=TALL) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE, submit=True)
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ErrorModal)
        assert modal.error.code == "wallet_ledger_unconfigured"
        assert "settings (s)" in str(modal.query_one(".todo").render())
        await pilot.press("escape")
        assert isinstance(app.screen, CardsScreen)


async def test_a_wallet_with_its_key_opens_on_its_cards(tmp_path: Path) -> None:
    settings = keyless(tmp_path / "data").save(ledger_key=KEY)
    Wallet.create(settings, PASSPHRASE).close()
    app = WalletApp(settings)
    async with app.run_test(size=TALL) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE, submit=True)
        await settle(pilot)
        assert isinstance(app.screen, CardsScreen)


async def test_the_words_are_not_cut_off_at_80_columns(tmp_path: Path) -> None:
    settings = keyless(tmp_path / "data")
    app = WalletApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#again", PASSPHRASE)
        app.screen.query_one("#create", Button).press()
        await settle(pilot)
        await pilot.pause()
        # Each line as read, without the form's scrollbar at its right edge.
        lines = [line.rstrip().rstrip("▁▂▃▄▅▆▇█") for line in painted(app)[1]]
        shown = " ".join(" ".join(line.split()) for line in lines)
    # Every word of the sentence on screen, wrapped, the last one included.
    assert " ".join(NO_KEY.split()) in shown, shown
