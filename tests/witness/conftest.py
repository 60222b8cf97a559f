"""Witness fixtures: the ledger's world, for the tests that run witnesses beside a ledger."""

from tests.ledger.conftest import clock, world  # noqa: F401  (shared fixtures)
