"""The worlds the lying peers are put in front of: a ledger with a fixed clock
(tests.ledger's), and two countries' ledgers with a desk at home (tests.federation's)."""

from tests.federation.conftest import countries
from tests.ledger.conftest import clock, world
from tests.verifier.conftest import no_remembered_schemas

__all__ = ["clock", "countries", "no_remembered_schemas", "world"]
