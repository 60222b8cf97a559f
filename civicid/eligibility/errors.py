"""The codes of a presentation's checks (``civicid.eligibility.checks``), each declared once:
whoever runs the checks (a desk, an agency issuing by rule) refuses with the same code.

Codes of the checks are also the names of the steps that raise them, so a decision's failing
step reads the same in JSON, in the audit trail, on the desk's screen and in the citizen's
receipt.
"""

from __future__ import annotations

from civicid.errors import InvalidInput, Refused, TooLarge, VerificationError, declare

PRESENTATION_TOO_LARGE = declare(
    "presentation_too_large", TooLarge, "the presentation is larger than allowed"
)
PRESENTATION_TOO_DEEP = declare(
    "presentation_too_deep", InvalidInput, "the presentation's JSON nests too deeply"
)
PRESENTATION_REPLAYED = declare(
    "presentation_replayed", Refused, "this presentation's nonce was already used"
)
CREDENTIAL_ISSUER_INVALID = declare(
    "credential_issuer_invalid", VerificationError, "iss or kid is not the issuer's ledger DID"
)
ISSUER_NOT_ACCEPTED = declare(
    "issuer_not_accepted", Refused, "the policy does not accept credentials from this issuer"
)
CREDENTIAL_KEY_NOT_IN_FORCE = declare(
    "credential_key_not_in_force",
    VerificationError,
    "the signing key was not in the issuer's DID document when the credential was issued",
)
VCT_NOT_ACCEPTED = declare("vct_not_accepted", Refused, "the policy does not accept this type")
VCT_UNKNOWN = declare("vct_unknown", VerificationError, "the credential type is not on the ledger")
VCT_SCHEMA_MISMATCH = declare(
    "vct_schema_mismatch", VerificationError, "the claims do not fit the type's schema"
)
CREDENTIAL_TOO_OLD = declare(
    "credential_too_old", Refused, "the credential is older than the policy accepts"
)
CREDENTIAL_STATUS_INVALID = declare(
    "credential_status_invalid", InvalidInput, "the credential's status reference is malformed"
)
STATUS_MISSING = declare("status_missing", Refused, "the credential has no status list entry")
STATUS_REVOKED = declare("status_revoked", Refused, "the credential has been revoked")
STATUS_SUSPENDED = declare("status_suspended", Refused, "the credential is suspended")
STATUS_UNKNOWN_VALUE = declare(
    "status_unknown_value", Refused, "the status list holds a value we do not know"
)
CLAIM_MISSING = declare("claim_missing", Refused, "a claim the policy requires was not disclosed")
