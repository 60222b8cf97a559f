"""The wallet's settings, from (strongest first) command-line flags, the environment
(``CIVICID_WALLET_*``), the file ``<data-dir>/wallet.toml``, and safe defaults
(``civicid.shell.settings``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Self

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from civicid.checkpoint import NoteVerifier
from civicid.errors import Error, NotFound
from civicid.keystore import KeyStore
from civicid.ledger_client import forget_checkpoint, ledger_urls
from civicid.settings import DEFAULT_HOST, LEDGER_PORT
from civicid.shell.settings import WitnessedLedger
from wallet.errors import WALLET_LEDGER_UNCONFIGURED, WALLET_SETTINGS_INVALID

# The last checkpoint the wallet verified, beside its store from its first start.
TRUST_FILE_NAME: Final = "checkpoint"
CONFIG_FILE: Final = "wallet.toml"
PASSPHRASE_ENV: Final = "CIVICID_WALLET_PASSPHRASE"  # noqa: S105 - a variable name
# The name under which `civicid ledger init` keeps the checkpoint key in <data-dir>/keys/:
# on a machine that runs the ledger too, the wallet needs no --ledger-key.
LEDGER_CHECKPOINT_KEY_NAME: Final = "ledger-checkpoint"
# Lock after five idle minutes: long enough to read a request, short for a shared computer.
DEFAULT_IDLE_SECONDS: Final = 300


class WalletSettings(WitnessedLedger):
    model_config = SettingsConfigDict(env_prefix="CIVICID_WALLET_")
    part = "wallet"
    invalid = WALLET_SETTINGS_INVALID

    ledger_url: str = f"http://{DEFAULT_HOST}:{LEDGER_PORT}"
    ledger_key: str | None = None  # the ledger's checkpoint verification key (a C2SP vkey)
    idle_timeout: float = Field(default=DEFAULT_IDLE_SECONDS, gt=0)
    # Per network operation, and per whole call to an issuer, desk or the ledger.
    http_timeout: float = Field(default=10.0, gt=0)
    http_deadline: float = Field(default=30.0, gt=0)
    kdf_memory_kib: int | None = None  # Argon2id cost for a new wallet (default: vault's)
    kdf_iterations: int | None = None

    @field_validator("ledger_url")
    @classmethod
    def _ledger_url(cls, value: str) -> str:
        try:
            return ", ".join(ledger_urls(value))  # one URL, or a ledger and its mirrors
        except Error as exc:
            raise ValueError(exc.message) from None

    @property
    def directory(self) -> Path:
        return self.data_dir / "wallet"

    @property
    def store_path(self) -> Path:
        return self.directory / "wallet.db"

    @property
    def trust_file(self) -> Path:
        """The last ledger checkpoint this wallet verified (public data: no need to seal it)."""
        return self.directory / TRUST_FILE_NAME

    @property
    def federation_path(self) -> Path:
        """The foreign ledgers whose credentials this wallet checks (``wallet federate``)."""
        return self.directory / "federation"

    def checkpoint_key(self) -> str:
        if self.ledger_key:
            return self.ledger_key
        try:
            return KeyStore(self.data_dir / "keys").text(LEDGER_CHECKPOINT_KEY_NAME, "vkey")
        except (NotFound, KeyError) as exc:
            raise WALLET_LEDGER_UNCONFIGURED() from exc

    def key_source(self) -> str | None:
        """Where the ledger's checkpoint key comes from: ``wallet.toml`` or the environment
        (``ledger_key``), this data dir's key store (a ledger run here), or nowhere."""
        if self.ledger_key:
            return "settings"
        return "key store" if self.key_or_none() is not None else None

    def save(self, **values: Any) -> Self:
        """Write ``values`` (ledger URL and key, idle timeout) to ``wallet.toml``, keeping
        what is there. They are checked first: nothing is written when one is refused. A new
        ledger key is a new ledger: the checkpoint trusted under the old key is dropped
        (under another URL with the same key, a mirror, it is kept). The command line also
        checks the key's form first (``check_ledger_key``)."""
        before = self.key_or_none()
        saved = super().save(**values)
        if before is not None and saved.key_or_none() != before:
            forget_checkpoint(saved.trust_file)  # and the record that one was trusted
        return saved

    def key_or_none(self) -> str | None:
        try:
            return self.checkpoint_key()
        except Error:
            return None


def check_ledger_key(key: str) -> str:
    """``key`` if it is a checkpoint verification key (C2SP signed-note vkey)."""
    try:
        NoteVerifier(key)
    except Error as exc:
        raise WALLET_SETTINGS_INVALID(
            f"the ledger key is not a checkpoint key ({exc.message}): copy it as the "
            "ledger's operator publishes it (civicid ledger init prints it)"
        ) from exc
    return key
