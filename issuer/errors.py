"""The issuer's error codes, each declared once, and the OpenID4VCI / OAuth code a wallet sees
for each (RFC 6749 §5.2, RFC 6750 §3.1, OpenID4VCI 1.0 §8.3.1.2)."""

from __future__ import annotations

from typing import Final

from civicid.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    TooLarge,
    Unauthorized,
    VerificationError,
    declare,
)
from civicid.shell.errors import Overloaded

# -- set-up and configuration ---------------------------------------------------------------
NOT_INITIALIZED = declare(
    "issuer_not_initialized", NotFound, "no issuer here; run `civicid issuer init`"
)
SETTINGS_INVALID = declare("issuer_settings_invalid", InvalidInput, "the issuer settings are wrong")
KEY_NOT_IN_FORCE = declare(
    "issuer_key_not_in_force", Refused, "the agency key is not the one in force on the ledger"
)
ISSUER_EXISTS = declare("issuer_exists", Conflict, "an issuer is already set up here")
CLAIMS_FILE_INVALID = declare("issuer_claims_file_invalid", InvalidInput, "not a JSON claims file")
CSV_INVALID = declare("issuer_csv_invalid", InvalidInput, "not a CSV file of records and claims")
CODES_FILE_MISSING = declare(
    "issuer_codes_file_missing", InvalidInput, "name a file for the transaction codes (--codes)"
)
CODES_BESIDE_LINKS = declare(
    "issuer_codes_beside_links", InvalidInput, "transaction codes go to another file than links"
)
CONFIGURATION_UNKNOWN = declare(
    "issuer_configuration_unknown", InvalidInput, "no such credential configuration"
)

# -- HTTP, as the framework sees it ---------------------------------------------------------
# request_invalid, route_not_found and method_not_allowed are every service's: civicid.errors.

# -- store ----------------------------------------------------------------------------------
STORE_LOCKED = declare("issuer_store_locked", StorageError, "another process serves this issuer")
STORE_FAILED = declare("issuer_store_failed", StorageError, "the issuer store failed to persist")
STORE_MISSING = declare(
    "issuer_store_missing",
    StorageError,
    "the issuer is set up but its store is missing; restore it (a fresh one would un-revoke)",
)
STORE_DAMAGED = declare(
    "issuer_store_damaged",
    StorageError,
    "the issuer store is empty or no issuer store; restore it (a fresh one would un-revoke)",
)
STORE_FORMAT = declare("issuer_store_format", StorageError, "the issuer store has another format")
STORE_CONFLICT = declare(
    "issuer_store_conflict",
    Conflict,
    "another issuer process sharing the database changed this first; retry",
)
STORE_PRESENT = declare(
    "issuer_store_present", Conflict, "the issuer store is here: recovery rebuilds a lost one only"
)
LISTS_ON_LEDGER = declare(
    "issuer_lists_on_ledger",
    Conflict,
    "the ledger holds status lists of this issuer: recover them, do not start anew",
)
NOTHING_TO_RECOVER = declare(
    "issuer_nothing_to_recover", NotFound, "the ledger holds no status list under this issuer's URL"
)

# -- staff API ------------------------------------------------------------------------------
STAFF_KEY_MISSING = declare("staff_key_missing", Unauthorized, "an API key is required")
STAFF_KEY_INVALID = declare("staff_key_invalid", Unauthorized, "the API key is not valid")
STAFF_SCOPE_MISSING = declare(
    "staff_scope_missing", Refused, "the clerk's API key lacks the scope for this"
)
STAFF_KEY_CHECKS_BUSY = declare(
    "staff_key_checks_busy",
    Overloaded,
    "as many API keys as the issuer checks at once wait for their check; try again shortly",
)
# A staff write made for a clerk whose row changed (was removed) since its key was verified:
# the call is authorized again, its row read, and refused as any call of a removed clerk is.
CLERK_CHANGED = declare(
    "clerk_changed", Unauthorized, "the clerk was removed since its API key was checked"
)
CLERK_INVALID = declare("clerk_invalid", InvalidInput, "not a valid clerk name or scope")
CLERK_EXISTS = declare("clerk_exists", Conflict, "a clerk with this name exists")
CLERK_NOT_FOUND = declare("clerk_not_found", NotFound, "no clerk with this name")
BODY_TOO_LARGE = declare("issuer_body_too_large", TooLarge, "the request body is too large")
CLAIMS_INVALID = declare(
    "issuer_claims_invalid", InvalidInput, "the claims do not match the type's schema"
)
CLAIMS_RESERVED = declare(
    "issuer_claims_reserved", InvalidInput, "claims may not set iss, vct, cnf, status or times"
)
RECORD_INVALID = declare("issuer_record_invalid", InvalidInput, "not a valid record reference")
OFFER_NOT_FOUND = declare("offer_not_found", NotFound, "no such offer")
OFFER_EXPIRED = declare("offer_expired", Gone, "the offer has expired")
OFFER_ALREADY_FETCHED = declare("offer_already_fetched", Gone, "the offer was already fetched")
CREDENTIAL_NOT_FOUND = declare("credential_not_found", NotFound, "no such issued credential")
CONFIRMATION_REQUIRED = declare(
    "issuer_confirmation_required",
    InvalidInput,
    "confirm in a terminal, or pass --yes: this changes what every verifier is told",
)
CONFIRMATION_DECLINED = declare(
    "issuer_confirmation_declined", Refused, "not confirmed: nothing was changed"
)
CREDENTIAL_STATUS_CONFLICT = declare(
    "credential_status_conflict", Conflict, "the credential's status does not allow this"
)

# -- token endpoint (pre-authorized code grant) ---------------------------------------------
GRANT_UNKNOWN = declare("grant_code_unknown", VerificationError, "unknown pre-authorized code")
GRANT_USED = declare("grant_code_used", VerificationError, "the pre-authorized code was used")
GRANT_EXPIRED = declare("grant_code_expired", VerificationError, "the pre-authorized code expired")
TX_CODE_MISSING = declare("tx_code_missing", InvalidInput, "this offer needs its transaction code")
TX_CODE_UNEXPECTED = declare("tx_code_unexpected", InvalidInput, "this offer has no tx code")
TX_CODE_WRONG = declare("tx_code_wrong", VerificationError, "wrong transaction code")
OFFER_LOCKED = declare(
    "offer_locked", VerificationError, "too many wrong transaction codes: the offer is locked"
)

# -- credential endpoint --------------------------------------------------------------------
ACCESS_TOKEN_INVALID = declare(
    "access_token_invalid", Unauthorized, "the access token is unknown, used or expired"
)
CREDENTIAL_CONFIGURATION_UNKNOWN = declare(
    "credential_configuration_unknown", InvalidInput, "the token does not cover this configuration"
)
CREDENTIAL_IDENTIFIER_UNKNOWN = declare(
    "credential_identifier_unknown", InvalidInput, "credential identifiers are not issued here"
)
PROOF_MISSING = declare("proof_missing", InvalidInput, "the request carries no key proof")
PROOF_KEY_DUPLICATE = declare(
    "proof_key_duplicate", VerificationError, "two proofs of one batch use the same key"
)
BATCH_TOO_LARGE = declare("batch_too_large", InvalidInput, "more proofs than the batch size")

# Our code -> the code the protocol defines for it, so any wallet understands the answer.
OAUTH_ERRORS: Final[dict[str, str]] = {
    GRANT_UNKNOWN.name: "invalid_grant",
    GRANT_USED.name: "invalid_grant",
    GRANT_EXPIRED.name: "invalid_grant",
    TX_CODE_WRONG.name: "invalid_grant",
    OFFER_LOCKED.name: "invalid_grant",
    TX_CODE_MISSING.name: "invalid_request",
    TX_CODE_UNEXPECTED.name: "invalid_request",
    ACCESS_TOKEN_INVALID.name: "invalid_token",
    CREDENTIAL_CONFIGURATION_UNKNOWN.name: "unknown_credential_configuration",
    CREDENTIAL_IDENTIFIER_UNKNOWN.name: "unknown_credential_identifier",
    PROOF_MISSING.name: "invalid_proof",
    PROOF_KEY_DUPLICATE.name: "invalid_proof",
    BATCH_TOO_LARGE.name: "invalid_credential_request",
    BODY_TOO_LARGE.name: "invalid_request",
}
