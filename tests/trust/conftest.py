"""The rogue-ledger tests run on the verifier's ledger world (tests/verifier/world.py)."""

from tests.verifier.conftest import (  # noqa: F401  (fixtures, found by name)
    clock,
    desk_clock,
    http,
    no_remembered_schemas,
    verifier,
    world,
)
