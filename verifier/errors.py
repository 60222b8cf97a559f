"""The verifier's error codes, each declared once (its class fixes HTTP status and exit code).

Codes of the presentation checks are also the names of the steps that raise them, so a
decision's failing step reads the same in JSON, in the audit trail, on the desk's screen and
in the citizen's receipt.
"""

from __future__ import annotations

from civicid.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    TooLarge,
    VerificationError,
    declare,
)

# -- policies ------------------------------------------------------------------------------
POLICY_INVALID = declare("policy_invalid", InvalidInput, "the policy file is not valid")
POLICY_UNKNOWN = declare("policy_unknown", NotFound, "no such policy at this desk")
POLICY_NOT_ACCREDITED = declare(
    "policy_not_accredited", Refused, "the policy asks for a claim the desk is not accredited for"
)

# -- requests and responses (OpenID4VP §5, §8.2) ------------------------------------------
REQUEST_UNKNOWN = declare("request_unknown", NotFound, "no request with this state or id")
REQUEST_EXPIRED = declare("request_expired", Gone, "the request has expired")
REQUEST_ALREADY_FETCHED = declare(
    "request_already_fetched", Gone, "the request object is served once and was already fetched"
)
REQUEST_ALREADY_ANSWERED = declare(
    "request_already_answered", Conflict, "this request already has its answer"
)
RESPONSE_ERROR = declare("response_error", Refused, "the wallet answered with an error")

# -- checks of a presentation (each a step of verifier.checks) ----------------------------
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
PREDICATE_FAILED = declare("predicate_failed", Refused, "a condition of the policy is not met")

# -- offline mode ------------------------------------------------------------------------
SNAPSHOT_MISSING = declare("snapshot_missing", NotFound, "no offline snapshot; run sync")
SNAPSHOT_INVALID = declare("snapshot_invalid", InvalidInput, "the snapshot file is not valid")
# snapshot_incomplete and snapshot_stale are the kernel's (civicid/trust/cache.py): the trust
# package decides when remembered ledger data may no longer stand in for the ledger.

# -- set-up and storage ------------------------------------------------------------------
VERIFIER_NOT_INITIALIZED = declare(
    "verifier_not_initialized", NotFound, "no verifier here; run civicid verifier init"
)
VERIFIER_STORE_FAILED = declare(
    "verifier_store_failed", StorageError, "the verifier's store cannot be read or written"
)
VERIFIER_INIT_FAILED = declare(
    "verifier_init_failed", StorageError, "init could not write the desk's files; nothing changed"
)
VERIFIER_SETTINGS_INVALID = declare(
    "verifier_settings_invalid", InvalidInput, "the verifier's settings are not valid"
)
