"""A setting refused by its own check reads as that check's words: pydantic's "Value error, "
prefix is not put before them (every part's settings word it the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from wallet.settings import WalletSettings


def test_a_bad_ledger_url_is_said_in_the_checks_words(tmp_path: Path) -> None:
    (tmp_path / "wallet.toml").write_text('ledger_url = "htp:/bad url"\n', encoding="utf-8")
    with pytest.raises(Error) as info:
        WalletSettings.load(tmp_path)
    assert info.value.code == "wallet_settings_invalid"
    assert info.value.message == (
        f"wallet settings ({tmp_path / 'wallet.toml'}): ledger_url: a ledger's URL is one"
        " printable word: 'htp:/bad url'"
    )


def test_a_wrong_type_keeps_its_words(tmp_path: Path) -> None:
    (tmp_path / "wallet.toml").write_text("ledger_url = 5\n", encoding="utf-8")
    with pytest.raises(Error) as info:
        WalletSettings.load(tmp_path)
    assert info.value.code == "wallet_settings_invalid"
    assert info.value.message.endswith("ledger_url: Input should be a valid string")
