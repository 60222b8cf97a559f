"""Attack: an agency (or a bug) issues claims of the wrong type for its registered schema:
resident as the string "yes"; the desk holds it to the schema on the ledger."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import CLAIMS, NATIONAL_ID, World
from verifier.checks import schema_validator
from verifier.service import Verifier


def test_claims_must_fit_the_registered_schema(world: World, verifier: Verifier) -> None:
    credential = world.credential(claims={**CLAIMS, "resident": "yes"})
    presentation, nonce = fresh(world, verifier, credential)
    decision = refused(verifier, presentation, "vct_schema_mismatch", nonce=nonce, step="type")
    assert decision.failed is not None and "resident" in decision.failed.detail


def test_a_schema_is_not_mistaken_for_another_with_the_same_name() -> None:
    """Two ledgers (or one started afresh) can register one vct at one seq with different
    schemas: each verdict is by the schema proven now, never one remembered for the name."""
    strict = {"type": "object", "properties": {"resident": {"type": "boolean"}}}
    loose = {"type": "object", "properties": {"resident": {"type": "string"}}}
    assert schema_validator(NATIONAL_ID, 3, loose).first_error({"resident": "yes"}) is None
    error = schema_validator(NATIONAL_ID, 3, strict).first_error({"resident": "yes"})
    assert error is not None and "resident" in error


def test_a_remembered_verdict_is_the_same_verdict() -> None:
    """The second presentation of the same wrong claims is refused as the first was."""
    schema = {"type": "object", "properties": {"resident": {"type": "boolean"}}}
    validator = schema_validator(NATIONAL_ID, 4, schema)
    first = validator.first_error({"resident": "yes"})
    assert first is not None
    assert validator.first_error({"resident": "yes"}) == first
    assert validator.first_error({"resident": True}) is None
    assert validator.first_error({"resident": True}) is None
