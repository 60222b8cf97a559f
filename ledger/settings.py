"""The ledger service's settings, from (strongest first) command-line flags, the environment
(``CIVICID_LEDGER_*``), the file ``<data-dir>/ledger.toml``, and safe defaults."""

from __future__ import annotations

from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from civicid.settings import LEDGER_PORT
from civicid.shell.settings import ServiceSettings
from ledger.errors import SETTINGS_INVALID

CONFIG_FILE: Final = "ledger.toml"


class LedgerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_LEDGER_")
    part = "ledger"
    invalid = SETTINGS_INVALID

    port: int = Field(default=LEDGER_PORT, ge=0, le=65535)  # 0: any free port
    # Write the log as C2SP tlog-tiles under <data-dir>/tiles and serve them at /tiles/.
    tiles: bool = True
