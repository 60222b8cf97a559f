"""The ledger part's error codes, each declared once (``civicid.errors.declare``); the class
fixes the HTTP status and the exit code. Kernel codes (DIDs, transactions, proofs, keys)
are declared in their ``civicid`` modules."""

from __future__ import annotations

from civicid.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    StorageError,
    VerificationError,
    declare,
)


class NotAllowed(InvalidInput):
    """The route exists, but not for this HTTP method."""

    http_status = 405


# -- the ledger and its store -----------------------------------------------------------------

LEDGER_NOT_INITIALIZED = declare(
    "ledger_not_initialized", NotFound, "no ledger here yet: run `civicid ledger init`"
)
LEDGER_EXISTS = declare("ledger_exists", Conflict, "a ledger already exists in this data dir")
LEDGER_KEY_MISMATCH = declare(
    "ledger_key_mismatch", Conflict, "the checkpoint key is not the one the genesis names"
)
STORE_LOCKED = declare("store_locked", StorageError, "another process is writing to the store")
STORE_CORRUPT = declare("store_corrupt", StorageError, "a stored record fails its checksum")
STORE_FORMAT_UNSUPPORTED = declare(
    "store_format_unsupported", StorageError, "the store was written in another format"
)
STORE_READONLY = declare("store_readonly", StorageError, "the store was opened read-only")
STORE_WRITE_FAILED = declare("store_write_failed", StorageError, "could not write the log")
STORE_SYNC_FAILED = declare("store_sync_failed", StorageError, "could not make the log durable")
STORE_FAILED = declare(
    "store_failed", StorageError, "the ledger stopped after a storage failure; restart it"
)
ENTRY_NOT_FOUND = declare("entry_not_found", NotFound, "no such entry in the log")

# -- DID Resolution (mapped to the spec's own error names in ledger/resolution.py) -------------

RESOLUTION_OPTIONS_INVALID = declare(
    "resolution_options_invalid", InvalidInput, "the resolution options do not fit together"
)
DID_METHOD_NOT_SUPPORTED = declare(
    "did_method_not_supported", InvalidInput, "this ledger resolves did:civicid only"
)

# -- audit ------------------------------------------------------------------------------------

LEAF_HASH_MISMATCH = declare(
    "leaf_hash_mismatch", VerificationError, "an entry does not match its stored leaf hash"
)
CHECKPOINT_MISMATCH = declare(
    "checkpoint_mismatch", VerificationError, "the log does not match a signed checkpoint"
)

# -- HTTP -------------------------------------------------------------------------------------

REQUEST_INVALID = declare("request_invalid", InvalidInput, "the request is malformed")
ROUTE_NOT_FOUND = declare("route_not_found", NotFound, "no such route")
METHOD_NOT_ALLOWED = declare(
    "method_not_allowed", NotAllowed, "the route does not take this method"
)
PROOF_REQUEST_INVALID = declare(
    "proof_request_invalid", InvalidInput, "give exactly one of seq and leafHash"
)
QUERY_INVALID = declare("query_invalid", InvalidInput, "the query parameters do not fit")
LEAF_HASH_INVALID = declare(
    "leaf_hash_invalid", InvalidInput, "a leaf hash is 64 hexadecimal characters"
)

# -- command line -----------------------------------------------------------------------------

SETTINGS_INVALID = declare("settings_invalid", InvalidInput, "the ledger settings are invalid")
FILE_UNREADABLE = declare("file_unreadable", InvalidInput, "a file given cannot be read")
