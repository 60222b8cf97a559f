"""The agency's issuance rules on the ledger: publish (a new rule, or the next version of
one), withdraw, list; each entry signed with the agency's key and proven in the log.

A rule file is TOML in the policy language (``civicid.policy``), plus what the rule issues:
``issues`` (the credential type), ``[claims]`` (fixed claims of it) and ``copy_claims`` (claims
copied from the presentation, among those the policy requires)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from civicid import rule_registry
from civicid import transaction as tx_types
from civicid.errors import Error
from civicid.issuance_rules import (
    ISSUANCE_RULE_INVALID,
    ISSUANCE_RULE_NOT_FOUND,
    from_rule_file,
    withdraw_body,
)
from civicid.keystore import KeyStore
from civicid.times import system_clock
from issuer.agency import ledger_client
from issuer.settings import IssuerSettings

# A rule is a policy and a few claims: a page of TOML.
MAX_RULE_FILE_BYTES: Final = 64 * 1024


def read_rule_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ISSUANCE_RULE_INVALID(f"cannot read {path}: {exc.strerror}") from exc
    if len(raw) > MAX_RULE_FILE_BYTES:
        raise ISSUANCE_RULE_INVALID(f"{path} is over {MAX_RULE_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    # RecursionError: tomllib recurses once per level of nesting.
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ISSUANCE_RULE_INVALID(f"{path} is not TOML: {exc}") from exc
    return from_rule_file(data, name=path.stem)


def _latest_version(client: Any, issuer: str, name: str) -> int:
    try:
        return rule_registry.issuance_rule(client, issuer, name).latest.version
    except Error as exc:
        if ISSUANCE_RULE_NOT_FOUND.matches(exc):
            return 0
        raise


def _submit(settings: IssuerSettings, tx_type: str, make: Any) -> dict[str, Any]:
    identity = KeyStore(settings.keys_dir).identity(settings.identity)
    with ledger_client(settings) as client:
        body = make(client, identity.did)
        text = identity.sign(tx_type, body, ledger=client.origin, now=system_clock())
        receipt = client.submit(text)
        rule = rule_registry.issuance_rule(client, identity.did, body["rule"])
    return {**rule.latest.to_json(), "seq": int(receipt["seq"])}


def publish(settings: IssuerSettings, path: Path) -> dict[str, Any]:
    """Publish the rule in ``path`` as its next version (1 for a new rule)."""
    body = read_rule_file(path)

    def make(client: Any, did: str) -> dict[str, Any]:
        return {**body, "version": _latest_version(client, did, body["rule"]) + 1}

    return _submit(settings, tx_types.ISSUANCE_RULE, make)


def withdraw(settings: IssuerSettings, name: str, reason: str) -> dict[str, Any]:
    def make(client: Any, did: str) -> dict[str, Any]:
        version = _latest_version(client, did, name)
        if version == 0:
            raise ISSUANCE_RULE_NOT_FOUND(f"the agency has no rule {name!r}")
        return withdraw_body(name=name, version=version + 1, reason=reason)

    return _submit(settings, tx_types.ISSUANCE_RULE_WITHDRAW, make)


def list_rules(settings: IssuerSettings) -> list[dict[str, Any]]:
    """The latest version of each of the agency's rules, each proven."""
    identity = KeyStore(settings.keys_dir).identity(settings.identity)
    with ledger_client(settings) as client:
        return [
            rule_registry.issuance_rule(client, identity.did, name).latest.to_json()
            for name in rule_registry.rule_names(client, identity.did)
        ]
