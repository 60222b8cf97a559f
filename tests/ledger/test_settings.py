"""Ledger settings: flags over environment over <data-dir>/ledger.toml over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.settings import LedgerSettings


def test_defaults_are_loopback(tmp_path: Path) -> None:
    settings = LedgerSettings.load(tmp_path)
    assert settings.host == "127.0.0.1" and settings.port == 8700
    assert settings.data_dir == tmp_path


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ledger.toml").write_text('host = "127.0.0.2"\nport = 9001\n')
    assert LedgerSettings.load(tmp_path).port == 9001
    monkeypatch.setenv("CIVICID_LEDGER_PORT", "9002")
    loaded = LedgerSettings.load(tmp_path)
    assert loaded.port == 9002 and loaded.host == "127.0.0.2"
    assert LedgerSettings.load(tmp_path, port=9003, host=None).port == 9003


@pytest.mark.parametrize("text", ["port = -1\n", "colour = 'blue'\n", "port = [\n"])
def test_bad_settings_file_is_named(tmp_path: Path, text: str) -> None:
    (tmp_path / "ledger.toml").write_text(text)
    with pytest.raises(Error) as info:
        LedgerSettings.load(tmp_path)
    assert info.value.code == "settings_invalid"
