"""Attack tests run against a real ledger in a temporary directory, with a fixed clock."""

from tests.ledger.conftest import agency, clock, desk, world  # noqa: F401  (shared fixtures)
