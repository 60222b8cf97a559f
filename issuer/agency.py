"""The agency as its issuer reaches it on the ledger: a proving client for the issuer's
settings (its trusted checkpoint kept beside the store), and the check that the agency key
in the key store is the one in force, asked of the kernel's trust package."""

from __future__ import annotations

from typing import Final

from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.trust import KEY_NOT_IN_FORCE as TRUST_KEY_NOT_IN_FORCE
from civicid.trust import Trust
from issuer.errors import KEY_NOT_IN_FORCE, SETTINGS_INVALID
from issuer.settings import IssuerSettings

TRUST_FILE: Final = "ledger-checkpoint"


def ledger_client(settings: IssuerSettings) -> LedgerClient:
    if not settings.checkpoint_key:
        raise SETTINGS_INVALID("checkpoint_key (the ledger's vkey) is not set")
    settings.store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return LedgerClient(
        settings.ledger_url,
        settings.checkpoint_key,
        trust_file=settings.store_dir / TRUST_FILE,
        policy=settings.checkpoint_policy(),
        remember=True,
    )


def require_key_in_force(trust: Trust, identity: Identity, now: int) -> None:
    """``issuer_key_not_in_force`` unless ``identity``'s key is the agency's key now."""
    try:
        in_force = trust.key_in_force(identity.kid, now, now=now) == identity.key.public
    except Error as exc:
        if not TRUST_KEY_NOT_IN_FORCE.matches(exc):
            raise
        in_force = False
    if not in_force:
        raise KEY_NOT_IN_FORCE(f"{identity.kid} is not the agency's key on the ledger")
