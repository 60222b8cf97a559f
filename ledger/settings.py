"""The ledger service's settings, from (strongest first) command-line flags, the environment
(``CIVICID_LEDGER_*``), the file ``<data-dir>/ledger.toml``, and safe defaults."""

from __future__ import annotations

from pathlib import Path
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
    # The witnesses that cosign the checkpoints, with their URLs, and the quorum readers are
    # served (a C2SP tlog-policy file, relative to the data dir); none: no witnessing.
    witness_policy: Path | None = None
    # Seconds between checkpoints sent to witnesses when nothing is written: the age of the
    # cosignatures readers see on an idle ledger (ledger/witnessing.py).
    checkpoint_interval: float = Field(default=60.0, ge=0.05, le=86400)
    # Seconds one witness is given to answer before it is asked again with the newest.
    witness_timeout: float = Field(default=5.0, gt=0, le=120)
    # At most one checkpoint per witness per this many seconds, however fast writes come.
    witness_pace: float = Field(default=0.1, ge=0, le=60)

    def witness_policy_path(self) -> Path | None:
        if self.witness_policy is None:
            return None
        return self.data_dir / self.witness_policy  # an absolute path stays itself
