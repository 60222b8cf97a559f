"""The witness's error codes; the class fixes the HTTP status tlog-witness v1.0.0 asks for."""

from __future__ import annotations

from typing import ClassVar

from civicid.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    TooLarge,
    VerificationError,
    declare,
)


class Unprocessable(VerificationError):
    """tlog-witness: "If the Merkle Consistency Proof doesn't verify ... 422"."""

    http_status: ClassVar[int] = 422


WITNESS_REQUEST_MALFORMED = declare(
    "witness_request_malformed", InvalidInput, "the add-checkpoint body is malformed"
)
WITNESS_OLD_MISSING = declare(
    "witness_old_missing", InvalidInput, "the add-checkpoint body does not start with `old N`"
)
WITNESS_PROOF_TOO_LONG = declare(
    "witness_proof_too_long", InvalidInput, "the add-checkpoint body has too many proof lines"
)
WITNESS_OLD_TOO_LARGE = declare(
    "witness_old_too_large", InvalidInput, "the old size is larger than the checkpoint's"
)
WITNESS_REQUEST_TOO_LARGE = declare(
    "witness_request_too_large", TooLarge, "the add-checkpoint body is too large"
)
WITNESS_LOG_UNKNOWN = declare(
    "witness_log_unknown", NotFound, "this witness does not follow a log of that origin"
)
WITNESS_SIGNATURE_INVALID = declare(
    "witness_signature_invalid", Refused, "no signature by a key of that log verifies"
)
WITNESS_OLD_SIZE_MISMATCH = declare(
    "witness_old_size_mismatch", Conflict, "the old size is not the last size cosigned"
)
WITNESS_CHECKPOINT_CONFLICT = declare(
    "witness_checkpoint_conflict",
    Conflict,
    "the log signed two different trees of one size: kept as evidence",
)
WITNESS_PROOF_INVALID = declare(
    "witness_proof_invalid", Unprocessable, "the consistency proof does not verify"
)
WITNESS_LOG_INCONSISTENT = declare(
    "witness_log_inconsistent",
    Unprocessable,
    "the log signed a tree that does not extend one it signed before: kept as evidence",
)
WITNESS_NOT_INITIALIZED = declare(
    "witness_not_initialized", NotFound, "no witness here yet: run `civicid witness init`"
)
WITNESS_EXISTS = declare("witness_exists", Conflict, "a witness already exists in this data dir")
WITNESS_STATE_UNREADABLE = declare(
    "witness_state_unreadable", StorageError, "the witness's stored state cannot be read"
)
WITNESS_STATE_WRITE_FAILED = declare(
    "witness_state_write_failed",
    StorageError,
    "the witness's state could not be written (nothing was cosigned)",
)
WITNESS_HAS_RECORDS = declare(
    "witness_has_records",
    Conflict,
    "this witness has records of what it cosigned: it cannot be said never to have cosigned",
)
WITNESS_STATE_LOCKED = declare(
    "witness_state_locked", StorageError, "another witness process holds this state"
)
WITNESS_SETTINGS_INVALID = declare(
    "witness_settings_invalid", InvalidInput, "the witness settings are invalid"
)
WITNESS_LOG_EXISTS = declare(
    "witness_log_exists", Conflict, "this witness already follows a log of that origin"
)
WITNESS_EVIDENCE_NOT_FOUND = declare(
    "witness_evidence_not_found", NotFound, "no evidence of that id"
)
EVIDENCE_INVALID = declare(
    "evidence_invalid", VerificationError, "the evidence does not show two conflicting trees"
)
