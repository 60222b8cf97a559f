"""Attack: the schema verdict memory holds up to MAX_VERDICTS disclosures per type, keyed by
the claims' repr, whatever their size. A presentation may be 512 KiB (its bound), so its
claims' repr can be ~500 KiB: 4,096 of them are ~2 GiB in one validator, for a verdict that
is cheap to compute again. The memory must stay within "a few MiB" (its own comment) however
large each disclosure is."""

from __future__ import annotations

from civicid.eligibility import checks
from civicid.eligibility.checks import SchemaValidator
from civicid.sdjwt_format import MAX_PRESENTATION_BYTES

# What "a few MiB at most" allows the memory of one type's verdicts.
FEW_MIB = 8 * 1024 * 1024


def test_large_disclosures_keep_the_verdict_memory_within_a_few_mib() -> None:
    validator = SchemaValidator({"type": "object", "properties": {"note": {"type": "string"}}})
    large = MAX_PRESENTATION_BYTES // 2  # a claim a presentation under its bound can carry
    for i in range(48):  # ~12 MiB of distinct claims, far fewer than MAX_VERDICTS
        assert validator.first_error({"note": f"{i:04d}" + "x" * large}) is None
    assert checks.MAX_VERDICTS > 48
    kept = sum(len(key) for key in validator._verdicts)
    assert kept <= FEW_MIB, f"{kept / 2**20:.0f} MiB of keys kept for 48 disclosures"
