"""The settings screen of a wallet under a witness policy (as ``civicid up`` writes it: the
policy named in ``wallet.toml``, the ledger's key from the key store of the ledger run in the
same data dir) shows what a checkpoint needs to be believed, the ledger's key and the
witnesses, not an empty key field; a policy that cannot be used is named with its code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, Static

from civicid.checkpoint import NoteSigner
from civicid.cosignature import CosignerKey
from civicid.keystore import KeyStore
from tests.wallet.conftest import PASSPHRASE, made_up
from tests.wallet.test_app import fill, settle
from wallet.app import WalletApp
from wallet.holder.vault import MIN_ITERATIONS, MIN_MEMORY_KIB
from wallet.holder.wallet import Wallet
from wallet.screens.settings import SettingsScreen
from wallet.settings import LEDGER_CHECKPOINT_KEY_NAME, WalletSettings

pytestmark = pytest.mark.asyncio
SIZE = (80, 40)
POLICY_FILE = "state/witnesses.policy"
VKEY = NoteSigner.generate("civicid.example/ledger").vkey()
WITNESSES = [CosignerKey.generate(f"w{i}.example") for i in (1, 2, 3)]
POLICY = "".join(f"witness w{i} {k.vkey()}\n" for i, k in enumerate(WITNESSES, 1))
POLICY += "group civicid-up 2 w1 w2 w3\nquorum civicid-up\n"


@pytest.fixture
def witnessed(tmp_path: Path) -> Iterator[Wallet]:
    root = tmp_path / "data"
    (root / "state").mkdir(parents=True)
    (root / POLICY_FILE).write_text(POLICY)
    KeyStore(root / "keys").put(LEDGER_CHECKPOINT_KEY_NAME, {"vkey": VKEY})
    settings = WalletSettings.load(
        root, kdf_memory_kib=MIN_MEMORY_KIB, kdf_iterations=MIN_ITERATIONS
    ).save(witness_policy=POLICY_FILE)
    assert settings.ledger_key is None and settings.checkpoint_policy().requires_witnesses
    with Wallet.create(settings, PASSPHRASE) as wallet:
        wallet.add(made_up())
        yield wallet


def shown(screen: SettingsScreen) -> str:
    return " ".join(str(screen.query_one("#checkpoints", Static).render()).split())


async def test_the_key_and_witnesses_in_force_are_shown(witnessed: Wallet) -> None:
    app = WalletApp(witnessed.settings, wallet=witnessed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert not screen.query("#ledger-key")  # no empty field where a key is in force
        text = shown(screen)
        assert f"Signed by the ledger's key {VKEY}" in text
        assert "key store" in text
        assert "cosigned by any 2 of w1, w2, w3" in text
        assert POLICY_FILE in text and "600 s" in text
        # Saving the ledger saves its URL; the key and the policy stay as they were.
        await fill(pilot, "#ledger", "http://127.0.0.1:8799")
        screen.query_one("#save-ledger", Button).press()
        await settle(pilot)
        assert "Ledger saved" in str(screen.query_one("#ledger-note").render())
    saved = WalletSettings.load(witnessed.settings.data_dir)
    assert saved.ledger_url == "http://127.0.0.1:8799"
    assert saved.ledger_key is None and saved.witness_policy == Path(POLICY_FILE)


async def test_a_policy_that_cannot_be_used_is_named_with_its_code(witnessed: Wallet) -> None:
    (witnessed.settings.data_dir / POLICY_FILE).write_text("quorum nobody-named\n")
    app = WalletApp(witnessed.settings, wallet=witnessed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        text = shown(screen)
        assert f"Signed by the ledger's key {VKEY}" in text
        assert f"The policy in {POLICY_FILE} cannot be used" in text
        assert "(policy_name_unknown)" in text
        assert not screen.query("#ledger-key")
