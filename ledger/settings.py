"""The ledger service's settings, from (strongest first) command-line flags, the environment
(``CIVICID_LEDGER_*``), the file ``<data-dir>/ledger.toml``, and safe defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicid.settings import DEFAULT_HOST, LEDGER_PORT, default_data_dir
from ledger.errors import SETTINGS_INVALID

CONFIG_FILE: Final = "ledger.toml"


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_LEDGER_", frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = DEFAULT_HOST
    port: int = Field(default=LEDGER_PORT, ge=0, le=65535)  # 0: any free port
    # HTTP limits. Connections served at once: past this a new one is answered 503 at once
    # instead of queueing (memory stays bounded whatever the clients do).
    max_connections: int = Field(default=256, ge=1, le=100_000)
    # Bytes of request line and headers buffered before a request is refused: ours are small.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    # Seconds a client may take to send a request's line and headers, from its first byte
    # (or from connecting): past this the connection is closed (ledger/server.py).
    header_timeout: float = Field(default=10.0, gt=0, le=600)
    # Seconds a client may take between two pieces of a request body, and in all for one.
    body_timeout: float = Field(default=10.0, gt=0, le=600)
    # Seconds an idle keep-alive connection is held open.
    keep_alive: float = Field(default=5.0, gt=0, le=600)

    @classmethod
    def load(cls, data_dir: Path, **flags: Any) -> LedgerSettings:
        """Settings for the ledger in ``data_dir``; ``flags`` that are not None win."""
        path = data_dir / CONFIG_FILE
        try:
            from_file = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
            from_env = cls(data_dir=data_dir)
            env = {k: getattr(from_env, k) for k in from_env.model_fields_set - {"data_dir"}}
            given = {k: v for k, v in flags.items() if v is not None}
            return cls(**{**from_file, **env, **given, "data_dir": data_dir})
        except tomllib.TOMLDecodeError as exc:
            raise SETTINGS_INVALID(f"{path}: not TOML: {exc}") from exc
        except ValidationError as exc:
            where = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise SETTINGS_INVALID(f"ledger settings ({path}): {where}") from exc
