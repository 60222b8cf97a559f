"""Whatever arrives, the ledger answers with one of our errors (a stable code), never a crash,
and the log stays as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicid import transaction as tx
from civicid.encoding import b64url_encode, canonical_json
from civicid.errors import Error
from ledger import ruleset
from tests.ledger.conftest import World

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "did",
    "role",
    "document",
    "prev",
    "endorsement",
    "nextKeyHashes",
    "origin",
    "accreditation",
    "subject",
    "kind",
    "credentialTypes",
    "claims",
    "validFrom",
    "validUntil",
    "vct",
    "metadata",
    "schema",
    "uri",
    "token",
]
BODIES = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def only_our_errors(world: World, text: str | bytes) -> None:
    """Bad input earns a refusal of the client's making (4xx): never ``internal_error`` or a
    storage failure, which would mean a bug in a rule passed for a refusal."""
    size, root = world.ledger.size, world.ledger.tree.root()
    try:
        world.ledger.submit(text)
    except Error as exc:
        assert exc.code and exc.message
        assert exc.http_status < 500, f"{exc.code}: {exc.message}"
        assert world.ledger.size == size and world.ledger.tree.root() == root
    else:  # a random body that is valid would be a surprise worth seeing
        raise AssertionError(f"accepted: {text!r}")


def test_a_bug_in_a_rule_fails_the_fuzz_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise KeyError("body")

    monkeypatch.setitem(ruleset.RULES, tx.DID_UPDATE, broken)
    update = world.governance.sign(tx.DID_UPDATE, {}, ledger=world.origin, now=world.clock.now)
    with pytest.raises(AssertionError, match="internal_error"):
        only_our_errors(world, update)


@SETTINGS
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_random_bytes(world: World, data: str | bytes) -> None:
    only_our_errors(world, data)


@SETTINGS
@given(st.sampled_from(sorted(tx.TX_TYPES)), BODIES)
def test_signed_transactions_with_random_bodies(
    world: World, tx_type: str, body: dict[str, Any]
) -> None:
    governance = world.governance
    only_our_errors(world, governance.sign(tx_type, body, ledger=world.origin, now=world.clock.now))


@SETTINGS
@given(
    JSON, st.dictionaries(st.sampled_from(["alg", "kid", "typ", "jwk", "crit"]), JSON, max_size=4)
)
def test_random_payloads_and_headers(world: World, payload: Any, header: dict[str, Any]) -> None:
    token = ".".join(
        (
            b64url_encode(json.dumps(header).encode()),
            b64url_encode(canonical_json(payload)),
            b64url_encode(b"x" * 64),
        )
    )
    only_our_errors(world, token)
