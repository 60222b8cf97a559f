"""The ledger service's settings: environment (``CIVICID_LEDGER_*``) over safe defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicid.settings import DEFAULT_HOST, LEDGER_PORT, default_data_dir


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_LEDGER_", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = DEFAULT_HOST
    port: int = LEDGER_PORT
