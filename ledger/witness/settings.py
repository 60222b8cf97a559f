"""The witness's settings, from (strongest first) command-line flags, the environment
(``CIVICID_WITNESS_*``), the file ``<data-dir>/witness.toml``, and safe defaults.

``logs`` lists the logs it cosigns for: each an origin line and a log key (vkey); a log with
two keys (a rotation) is two entries of one origin.
"""

from __future__ import annotations

from typing import Final, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import SettingsConfigDict

from civicid.checkpoint import Checkpoint, NoteVerifier
from civicid.errors import Error
from civicid.settings import WITNESS_PORT
from civicid.shell.settings import ServiceSettings
from ledger.witness.errors import WITNESS_SETTINGS_INVALID

# Each followed log costs a record and a key check per request; a witness serving more
# than this many logs is a public witness network's job, not a public body's.
MAX_FOLLOWED_LOGS: Final = 1000


class LogSetting(BaseModel):
    """One log key this witness trusts for ``origin``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    origin: str = Field(min_length=1, max_length=1024)
    vkey: str = Field(min_length=1, max_length=1024)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        try:
            NoteVerifier(self.vkey)
            Checkpoint(self.origin, 0, bytes(32))  # the origin must be a valid origin line
        except Error as exc:  # pydantic reports a ValueError as a validation failure
            raise ValueError(exc.message) from exc
        return self


class WitnessSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_WITNESS_")
    part = "witness"
    invalid = WITNESS_SETTINGS_INVALID

    port: int = Field(default=WITNESS_PORT, ge=0, le=65535)  # 0: any free port
    logs: list[LogSetting] = Field(default_factory=list, max_length=MAX_FOLLOWED_LOGS)

    @model_validator(mode="after")
    def _no_key_twice(self) -> Self:
        pairs = [(log.origin, log.vkey) for log in self.logs]
        if len(set(pairs)) != len(pairs):
            raise ValueError("a log key is listed twice for one origin")
        return self
