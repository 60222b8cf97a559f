"""The issuer's settings, from (strongest first) command-line flags, the environment
(``CIVICID_ISSUER_*``), the file ``<data-dir>/issuer.toml`` that ``civicid issuer init``
writes, and safe defaults (``civicid.shell.settings``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import SettingsConfigDict

from civicid.errors import Error
from civicid.ledger_client import ledger_urls
from civicid.settings import DEFAULT_HOST, ISSUER_PORT, LEDGER_PORT
from civicid.shell.settings import HostNames, ServiceSettings, WitnessedLedger
from issuer.errors import NOT_INITIALIZED, SETTINGS_INVALID

CONFIG_FILE: Final = "issuer.toml"
DAY: Final = 86400
CONFIGURATION_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Status lists: 2^17 entries hide each credential among 100k others (Token Status List §12.5
# herd privacy) and a sparse list still compresses to a few hundred bytes.
DEFAULT_LIST_SIZE: Final = 131_072
# Publishing: at most this long between a revocation and its list on the ledger.
DEFAULT_STATUS_INTERVAL: Final = 60
# A verifier may use a list token this long before fetching a new one (§5.1 ttl); the issuer
# republishes an unchanged list before half of it has passed, so no token goes stale.
DEFAULT_STATUS_TTL: Final = 3600


class ConfigurationSettings(BaseModel):
    """One ``credential_configurations_supported`` entry: a registered vct and how we issue it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    vct: str
    validity_days: Annotated[int, Field(ge=1, le=10 * 366)] = 365
    # Copies per request (OpenID4VCI §12.2.4 batch_size): unlinkable credentials, one per key.
    batch_size: Annotated[int, Field(ge=1, le=100)] = 4
    display: list[dict[str, Any]] | None = None  # default: the type metadata's display

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CONFIGURATION_ID.fullmatch(value):
            raise ValueError("an id is 1-64 letters, digits, '.', '_' or '-'")
        return value


class IssuerSettings(ServiceSettings, WitnessedLedger, HostNames):
    """The issuer's settings. Its Host check is opt-in: with ``allowed_hosts`` set (an empty
    list too), it answers only requests naming its public URL's host, the address it is
    bound to, a loopback name or one of those names (``served_names``)."""

    model_config = SettingsConfigDict(env_prefix="CIVICID_ISSUER_")
    part = "issuer"
    invalid = SETTINGS_INVALID
    checks_host_unless_allowed = False

    port: int = Field(default=ISSUER_PORT, ge=1, le=65535)
    # The Credential Issuer Identifier (OpenID4VCI §12.2.1) and base of status list URIs.
    public_url: str = f"http://{DEFAULT_HOST}:{ISSUER_PORT}"
    ledger_url: str = f"http://{DEFAULT_HOST}:{LEDGER_PORT}"
    checkpoint_key: str | None = None  # the ledger's vkey, pinned at init
    identity: str = "agency"  # the key store name of the agency's ledger identity
    credential_configurations: list[ConfigurationSettings] = Field(default_factory=list)
    status_interval: Annotated[int, Field(ge=1, le=DAY)] = DEFAULT_STATUS_INTERVAL
    status_ttl: Annotated[int, Field(ge=60, le=7 * DAY)] = DEFAULT_STATUS_TTL
    status_list_size: Annotated[int, Field(ge=16, le=1 << 20)] = DEFAULT_LIST_SIZE
    offer_ttl: Annotated[int, Field(ge=60, le=30 * DAY)] = 7 * DAY
    token_ttl: Annotated[int, Field(ge=10, le=DAY)] = 600
    nonce_ttl: Annotated[int, Field(ge=10, le=DAY)] = 300
    tx_code_length: Annotated[int, Field(ge=4, le=12)] = 6
    # How long a ledger answer "accredited for vct" is relied on before asking again.
    accreditation_ttl: Annotated[int, Field(ge=0, le=DAY)] = 60

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s?#]+", value):
            raise ValueError("must be an http(s) URL without query or fragment")
        return value.rstrip("/")

    @field_validator("ledger_url")
    @classmethod
    def _ledger_url(cls, value: str) -> str:
        try:
            return ", ".join(ledger_urls(value))  # one URL, or a ledger and its mirrors
        except Error as exc:
            raise ValueError(exc.message) from None

    @field_validator("credential_configurations")
    @classmethod
    def _unique(cls, value: list[ConfigurationSettings]) -> list[ConfigurationSettings]:
        if len({c.id for c in value}) != len(value):
            raise ValueError("two credential configurations have the same id")
        return value

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "issuer"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def configuration(self, config_id: str) -> ConfigurationSettings | None:
        return next((c for c in self.credential_configurations if c.id == config_id), None)

    @classmethod
    def load(cls, data_dir: Path, *, required: bool = True, **flags: Any) -> Self:
        """Settings for the issuer in ``data_dir`` (refused if ``required`` and there is no
        ``issuer.toml``); ``flags`` that are not None win."""
        if required and not cls.file_in(data_dir).exists():
            raise NOT_INITIALIZED(f"no {CONFIG_FILE} in {data_dir}; run `civicid issuer init`")
        return super().load(data_dir, **flags)
