"""The app checks a ledger key before it saves it, as ``wallet config`` and ``wallet init``
do (``wallet_settings_invalid``): a mistyped key in the settings screen is refused and leaves
the settings and the trusted checkpoint as they were (a new key is a new ledger, whose
saving drops the checkpoint trusted under the old one); one typed at the first run creates
no wallet."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button

from civicid.checkpoint import NoteSigner
from tests.wallet.conftest import PASSPHRASE, fast_settings, made_up
from tests.wallet.test_app import fill, settle
from wallet.app import WalletApp
from wallet.holder.wallet import Wallet
from wallet.screens.access import FirstRunScreen
from wallet.screens.error import ErrorModal
from wallet.screens.settings import SettingsScreen
from wallet.settings import WalletSettings

pytestmark = pytest.mark.asyncio
TALL = (80, 60)  # every field of the form on screen
KEY = NoteSigner.generate("civicid.example/ledger").vkey()


async def test_a_mistyped_key_is_refused_and_the_checkpoint_kept(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data").save(ledger_key=KEY)
    settings.trust_file.parent.mkdir(parents=True, exist_ok=True)
    with Wallet.create(settings, PASSPHRASE) as wallet:
        wallet.add(made_up())
        settings.trust_file.write_text("the checkpoint trusted under the key")
        toml = settings.file_in(settings.data_dir).read_bytes()
        app = WalletApp(settings, wallet=wallet)
        async with app.run_test(size=TALL) as pilot:
            await pilot.press("s")
            screen = app.screen
            assert isinstance(screen, SettingsScreen)
            await fill(pilot, "#ledger-key", KEY[:-3])  # cut short while pasting
            screen.query_one("#save-ledger", Button).press()
            await settle(pilot)
            assert isinstance(app.screen, ErrorModal)
            assert app.screen.error.code == "wallet_settings_invalid"
        assert settings.trust_file.read_text() == "the checkpoint trusted under the key"
        assert settings.file_in(settings.data_dir).read_bytes() == toml
        assert wallet.settings.ledger_key == KEY


async def test_a_new_key_of_the_right_form_is_saved(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data").save(ledger_key=KEY)
    other = NoteSigner.generate("civicid.example/another").vkey()
    with Wallet.create(settings, PASSPHRASE) as wallet:
        app = WalletApp(settings, wallet=wallet)
        async with app.run_test(size=TALL) as pilot:
            await pilot.press("s")
            screen = app.screen
            assert isinstance(screen, SettingsScreen)
            await fill(pilot, "#ledger-key", other)
            screen.query_one("#save-ledger", Button).press()
            await settle(pilot)
            assert "Ledger saved" in str(screen.query_one("#ledger-note").render())
    assert WalletSettings.load(settings.data_dir).ledger_key == other


async def test_a_mistyped_key_at_the_first_run_creates_no_wallet(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data")
    app = WalletApp(settings)
    async with app.run_test(size=TALL) as pilot:
        assert isinstance(app.screen, FirstRunScreen)
        await fill(pilot, "#passphrase", PASSPHRASE)
        await fill(pilot, "#again", PASSPHRASE)
        await fill(pilot, "#ledger-key", "not a key")
        app.screen.query_one("#create", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.code == "wallet_settings_invalid"
    assert not settings.store_path.exists()
    assert not settings.file_in(settings.data_dir).exists()  # nothing written
