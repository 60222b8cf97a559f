"""Issuance rules and entitlements run on the verifier's ledger world (tests/verifier/world.py)
with the types a rule issues and a voucher added (tests/rules/world.py)."""

from tests.verifier.conftest import (  # noqa: F401  (fixtures, found by name)
    clock,
    desk_clock,
    http,
    no_remembered_schemas,
    verifier,
    world,
)
