"""The verifier's settings, from (strongest first) command-line flags, the environment
(``CIVICID_VERIFIER_*``), the file ``<data-dir>/verifier.toml`` (written by ``init``), and
safe defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from civicid.errors import Error
from civicid.ledger_client import ledger_urls
from civicid.settings import DEFAULT_HOST, LEDGER_PORT, VERIFIER_PORT
from civicid.shell.settings import HostNames, ServiceSettings, WitnessedLedger
from verifier.errors import (
    VERIFIER_NOT_INITIALIZED,
    VERIFIER_SETTINGS_INVALID,
    VERIFIER_SETTINGS_MISSING,
)

CONFIG_FILE: Final = "verifier.toml"
# A QR code stays on the desk's screen while the citizen opens the wallet and consents.
DEFAULT_REQUEST_TTL: Final = 300
MAX_REQUEST_TTL: Final = 3600
# Requests a desk process starts within a request's lifetime (``request_ttl``), answered or
# not, and those of one client (an IPv4 address, an IPv6 /64): asking needs no login, and
# each is kept in the store (civicid/quota.py). A busy office's counters behind one address
# start a few a minute each; past these the desk answers 429 client_requests_full or 503
# desk_requests_full, with Retry-After, and keeps every request it holds.
DEFAULT_MAX_PENDING_REQUESTS: Final = 500
DEFAULT_MAX_PENDING_REQUESTS_PER_CLIENT: Final = 50


class VerifierSettings(ServiceSettings, WitnessedLedger, HostNames):
    """The desk's settings. It always checks Host: ``allowed_hosts`` (none by default) names
    a reverse proxy's names besides its public URL's, its address and the loopback names."""

    model_config = SettingsConfigDict(env_prefix="CIVICID_VERIFIER_")
    part = "verifier"
    invalid = VERIFIER_SETTINGS_INVALID
    # What ``init`` binds, and ``rewrite`` writes to verifier.toml: with what the desk's
    # operator chose for how old a witnessed checkpoint and a request may be (a re-run of
    # ``init`` that dropped them would loosen the desk's policy without a word).
    saved = (
        "host",
        "port",  # the port public_url names: a later `serve` without flags listens there
        "desk",
        "ledger_url",
        "checkpoint_key",
        "witness_policy",
        "checkpoint_max_age",
        "public_url",
        "policies_dir",
        "request_ttl",
        "max_pending_requests",
        "max_pending_requests_per_client",
        "allowed_hosts",  # an operator's proxy names, kept when init runs again
    )

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
    max_pending_requests: int = Field(default=DEFAULT_MAX_PENDING_REQUESTS, ge=1)
    max_pending_requests_per_client: int = Field(
        default=DEFAULT_MAX_PENDING_REQUESTS_PER_CLIENT, ge=1
    )

    @field_validator("ledger_url")
    @classmethod
    def _ledger_url(cls, value: str) -> str:
        try:
            return ", ".join(ledger_urls(value))  # one URL, or a ledger and its mirrors
        except Error as exc:
            raise ValueError(exc.message) from None

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

    @property
    def federation_path(self) -> Path:
        """The foreign ledgers this desk pins (``civicid verifier federate``)."""
        return self.home / "federation"


def require_init(settings: VerifierSettings) -> None:
    """Refuse a data directory ``init`` has not set up. One whose settings file is gone while
    the desk's store is there was set up: "run init" alone would read as "start afresh"."""
    config = settings.data_dir / CONFIG_FILE
    if config.exists():
        return
    store = settings.store_path
    if store.exists() or store.is_symlink():
        raise VERIFIER_SETTINGS_MISSING(
            f"{config} is missing, and the desk's records are in {store}: restore it from a "
            "backup, or run `civicid verifier init --desk NAME` again with the desk's name "
            "(it keeps the records)"
        )
    raise VERIFIER_NOT_INITIALIZED(
        f"no verifier in {settings.data_dir}; run civicid verifier init --desk NAME"
    )
