"""The verifier's settings, from (strongest first) command-line flags, the environment
(``CIVICID_VERIFIER_*``), the file ``<data-dir>/verifier.toml`` (written by ``init``), and
safe defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicid.keystore import write_private
from civicid.settings import DEFAULT_HOST, LEDGER_PORT, VERIFIER_PORT, default_data_dir
from verifier.errors import VERIFIER_SETTINGS_INVALID

CONFIG_FILE: Final = "verifier.toml"
# A QR code stays on the desk's screen while the citizen opens the wallet and consents.
DEFAULT_REQUEST_TTL: Final = 300
MAX_REQUEST_TTL: Final = 3600


class VerifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_VERIFIER_", frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = DEFAULT_HOST
    port: int = Field(default=VERIFIER_PORT, ge=1, le=65535)
    # The desk's ledger identity, by its name in <data-dir>/keys (civicid ledger register).
    desk: str = "desk"
    ledger_url: str = f"http://{DEFAULT_HOST}:{LEDGER_PORT}"
    # The ledger's checkpoint key (vkey); default: the one in <data-dir>/keys.
    checkpoint_key: str | None = None
    # The base URL wallets reach this desk at (request_uri, response_uri); default from
    # host and port.
    public_url: str | None = None
    policies_dir: Path | None = None
    request_ttl: int = Field(default=DEFAULT_REQUEST_TTL, ge=30, le=MAX_REQUEST_TTL)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def home(self) -> Path:
        return self.data_dir / "verifier"

    @property
    def policies_path(self) -> Path:
        return self.policies_dir or self.home / "policies"

    @property
    def store_path(self) -> Path:
        return self.home / "verifier.db"

    @property
    def snapshot_path(self) -> Path:
        return self.home / "snapshot.json"

    @property
    def trust_file(self) -> Path:
        return self.home / "checkpoint"

    @classmethod
    def load(cls, data_dir: Path, **flags: Any) -> VerifierSettings:
        """Settings for the desk in ``data_dir``; ``flags`` that are not None win."""
        path = data_dir / CONFIG_FILE
        try:
            from_file = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
            from_env = cls(data_dir=data_dir)
            env = {k: getattr(from_env, k) for k in from_env.model_fields_set - {"data_dir"}}
            given = {k: v for k, v in flags.items() if v is not None}
            return cls(**{**from_file, **env, **given, "data_dir": data_dir})
        except (tomllib.TOMLDecodeError, ValidationError, OSError) as exc:
            raise VERIFIER_SETTINGS_INVALID(f"verifier settings ({path}): {exc}") from exc

    def save(self) -> Path:
        """Write the settings ``init`` binds (desk, ledger, key, policies) to verifier.toml."""
        lines = [
            f"desk = {_toml(self.desk)}",
            f"ledger_url = {_toml(self.ledger_url)}",
        ]
        if self.checkpoint_key:
            lines.append(f"checkpoint_key = {_toml(self.checkpoint_key)}")
        if self.public_url:
            lines.append(f"public_url = {_toml(self.public_url)}")
        if self.policies_dir:
            lines.append(f"policies_dir = {_toml(str(self.policies_dir))}")
        path = self.data_dir / CONFIG_FILE
        write_private(path, ("\n".join(lines) + "\n").encode("utf-8"))
        return path


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
