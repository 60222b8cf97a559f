"""The first-run screen's key field says it may stay empty where a key is already in force
(a ledger run in the same data dir, as ``civicid up`` sets up), and asks for the operator's key
where none is."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label

from civicid.checkpoint import NoteSigner
from civicid.keystore import KeyStore
from tests.wallet.test_settings_ledger_key import TALL
from wallet.app import WalletApp
from wallet.holder.vault import MIN_ITERATIONS, MIN_MEMORY_KIB
from wallet.screens.access import FirstRunScreen
from wallet.settings import LEDGER_CHECKPOINT_KEY_NAME, WalletSettings

pytestmark = pytest.mark.asyncio


async def said(root: Path) -> str:
    settings = WalletSettings.load(
        root, kdf_memory_kib=MIN_MEMORY_KIB, kdf_iterations=MIN_ITERATIONS
    )
    assert settings.ledger_key is None
    app = WalletApp(settings)
    async with app.run_test(size=TALL):
        assert isinstance(app.screen, FirstRunScreen)
        return str(app.screen.query_one("#ledger-key-label", Label).render())


async def test_a_key_in_force_may_stay_empty(tmp_path: Path) -> None:
    root = tmp_path / "data"
    vkey = NoteSigner.generate("civicid.example/ledger").vkey()
    KeyStore(root / "keys").put(LEDGER_CHECKPOINT_KEY_NAME, {"vkey": vkey})
    assert "may stay empty" in await said(root)


async def test_without_a_key_the_operator_s_is_asked_for(tmp_path: Path) -> None:
    text = await said(tmp_path / "data")
    assert "its operator publishes it" in text and "may stay empty" not in text
