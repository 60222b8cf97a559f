"""Governance test helpers: a refusal check over the whole state, and builders for grants,
type metadata, schemas, status list tokens and their transactions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.errors import Error
from civicid.identity import Identity
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, StatusList, build_token
from ledger.log import Receipt

if TYPE_CHECKING:  # conftest imports this module for its fixtures
    from tests.ledger.conftest import World

DAY = 86400

NATIONAL_ID = "https://civicid.example/vct/national-id"
BENEFIT = "https://civicid.example/vct/benefit-eligibility"
LIST_URI = "https://agency.example/status/1"


def metadata(vct: str = NATIONAL_ID, **extra: Any) -> dict[str, Any]:
    """SD-JWT VC Type Metadata (§5) with display, rendering and claim metadata."""
    doc: dict[str, Any] = {
        "vct": vct,
        "name": "National identity credential",
        "description": "Who the holder is, as the civil registry knows them.",
        "display": [
            {
                "locale": "en-GB",
                "name": "National ID",
                "description": "Identity card",
                "rendering": {"simple": {"background_color": "#12107c", "text_color": "#FFFFFF"}},
            },
            {"locale": "fr-FR", "name": "Carte d'identité"},
        ],
        "claims": [
            {
                "path": ["given_name"],
                "display": [{"locale": "en-GB", "label": "Given name"}],
                "sd": "always",
                "mandatory": True,
            },
            {"path": ["family_name"], "sd": "always", "svg_id": "family_name"},
            {"path": ["birthdate"], "sd": "always"},
            {"path": ["age_over_18"], "sd": "allowed"},
            {"path": ["iss"], "sd": "never"},
        ],
    }
    doc.update(extra)
    return doc


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "given_name": {"type": "string"},
        "family_name": {"type": "string"},
        "birthdate": {"type": "string", "format": "date"},
        "age_over_18": {"type": "boolean"},
    },
    "required": ["given_name", "family_name"],
}


def type_body(vct: str = NATIONAL_ID, **overrides: Any) -> dict[str, Any]:
    body = {"vct": vct, "metadata": metadata(vct), "schema": json.loads(json.dumps(SCHEMA))}
    body.update(overrides)
    return body


def register_type(world: World, who: Identity, vct: str = NATIONAL_ID) -> Receipt:
    return world.submit_as(who, tx.CREDENTIAL_TYPE, type_body(vct))


def token(
    who: Identity,
    uri: str = LIST_URI,
    *,
    now: int,
    size: int = 1000,
    bits: int = 2,
    revoked: tuple[int, ...] = (3,),
    suspended: tuple[int, ...] = (5,),
    ttl: int | None = 3600,
    exp: int | None = None,
) -> str:
    status_list = StatusList(size, bits)
    for index in revoked:
        status_list.set(index, STATUS_INVALID)
    for index in suspended:
        status_list.set(index, STATUS_SUSPENDED)
    return build_token(
        key=who.key, kid=who.kid, sub=uri, status_list=status_list, iat=now, exp=exp, ttl=ttl
    )


def publish(world: World, who: Identity, uri: str = LIST_URI, text: str | None = None) -> Receipt:
    text = text if text is not None else token(who, uri, now=world.clock.now)
    return world.submit_as(who, tx.STATUS_LIST, {"uri": uri, "token": text})


def snapshot(world: World) -> tuple[Any, ...]:
    state = world.ledger.state
    return (
        world.ledger.size,
        world.ledger.store.size,
        world.ledger.tree.root(),
        dict(state.dids),
        set(state.tx_ids),
        dict(state.accreditations),
        {k: list(v) for k, v in state.accreditations_of.items()},
        {k: list(v) for k, v in state.credential_types.items()},
        {k: list(v) for k, v in state.status_lists.items()},
    )


def refused(world: World, text: str, code: str) -> Error:
    """Submit ``text``; it must fail with ``code`` and change nothing at all."""
    before = snapshot(world)
    with pytest.raises(Error) as info:
        world.ledger.submit(text)
    assert info.value.code == code, info.value
    assert snapshot(world) == before
    return info.value


def grant(world: World, who: Identity, **overrides: Any) -> dict[str, Any]:
    body = grant_body(
        who.did,
        credential_types=[NATIONAL_ID],
        valid_from=world.clock.now,
        valid_until=world.clock.now + 30 * DAY,
        purpose="Issue national identity credentials",
        legal_basis="Identity Act 2026, s. 4",
    )
    body.update(overrides)
    return body
