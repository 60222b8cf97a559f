"""The ledger part's error codes, each declared once (``civicid.errors.declare``); the class
fixes the HTTP status and the exit code. Kernel codes (DIDs, transactions, proofs, keys)
are declared in their ``civicid`` modules."""

from __future__ import annotations

from civicid.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    Unavailable,
    VerificationError,
    declare,
)

# -- the ledger and its store -----------------------------------------------------------------

LEDGER_NOT_INITIALIZED = declare(
    "ledger_not_initialized", NotFound, "no ledger here yet: run `civicid ledger init`"
)
LEDGER_KEY_MISSING = declare(
    "ledger_key_missing", NotFound, "the checkpoint key of a ledger with entries is missing"
)
LEDGER_EXISTS = declare("ledger_exists", Conflict, "a ledger already exists in this data dir")
LEDGER_KEY_MISMATCH = declare(
    "ledger_key_mismatch", Conflict, "the checkpoint key is not the one the genesis names"
)
STORE_LOCKED = declare("store_locked", StorageError, "another process is writing to the store")
STORE_CORRUPT = declare("store_corrupt", StorageError, "a stored record fails its checksum")
STORE_TRUNCATED = declare(
    "store_truncated", StorageError, "the log is shorter than the last checkpoint it signed"
)
STORE_UNAVAILABLE = declare(
    "store_unavailable", StorageError, "the store's files cannot be opened (permissions?)"
)
STORE_FORMAT_UNSUPPORTED = declare(
    "store_format_unsupported", StorageError, "the store was written in another format"
)
STORE_META_INVALID = declare(
    "store_meta_invalid", StorageError, "the store's meta.json is damaged (the log is intact)"
)
STORE_READONLY = declare("store_readonly", StorageError, "the store was opened read-only")
STORE_WRITE_FAILED = declare("store_write_failed", StorageError, "could not write the log")
STORE_SYNC_FAILED = declare("store_sync_failed", StorageError, "could not make the log durable")
STORE_FAILED = declare(
    "store_failed", StorageError, "the ledger stopped after a storage failure; restart it"
)
LEDGER_SEQUENCER_RUNNING = declare(
    "ledger_sequencer_running",
    Conflict,
    "another sequencer is writing to this ledger's database",
)
LEDGER_DATABASE_STANDBY = declare(
    "ledger_database_standby",
    Refused,
    "the database is a read-only standby: a sequencer writes to the primary",
)
LEDGER_READER_ONLY = declare(
    "ledger_reader_only",
    Refused,
    "this ledger process only reads: send writes to the sequencer",
)
GENESIS_ONLY_BY_INIT = declare(
    "genesis_only_by_init",
    Refused,
    "a genesis is written by `civicid ledger init`, never submitted",
)
ENTRY_NOT_FOUND = declare("entry_not_found", NotFound, "no such entry in the log")
STATE_SNAPSHOT_INVALID = declare(
    "state_snapshot_invalid", StorageError, "the state snapshot does not describe this log"
)
SNAPSHOT_HASHES_MISMATCH = declare(
    "snapshot_hashes_mismatch",
    StorageError,
    "the tree or state map hashes loaded from the snapshot are not those of the log's "
    "entries: no proof is served from them and nothing more is written; run "
    "`civicid ledger repair` and restart",
)
REPAIR_MIRROR_BEHIND = declare(
    "repair_mirror_behind",
    Refused,
    "the mirror holds fewer entries than this ledger signed: it cannot restore them",
)
STATE_MAP_MISMATCH = declare(
    "state_map_mismatch",
    StorageError,
    "the state rebuilt at start-up is not the one the last signed checkpoint commits to",
)

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
AUDIT_NO_CHECKPOINT = declare(
    "audit_no_checkpoint",
    VerificationError,
    "no signed checkpoint to hold the log to (give one with --checkpoint)",
)
CHECKPOINT_MISMATCH = declare(
    "checkpoint_mismatch", VerificationError, "the log does not match a signed checkpoint"
)

# -- HTTP -------------------------------------------------------------------------------------

PROOF_REQUEST_INVALID = declare(
    "proof_request_invalid", InvalidInput, "give exactly one of seq and leafHash"
)
QUERY_INVALID = declare("query_invalid", InvalidInput, "the query parameters do not fit")
LEAF_HASH_INVALID = declare(
    "leaf_hash_invalid", InvalidInput, "a leaf hash is 64 hexadecimal characters"
)

# -- command line -----------------------------------------------------------------------------

SERVE_PORT_IN_USE = declare(
    "serve_port_in_use", Unavailable, "the port is taken (another ledger server?)"
)
SETTINGS_INVALID = declare("settings_invalid", InvalidInput, "the ledger settings are invalid")
STATUS_LIST_FLAGS_CONTRADICT = declare(
    "status_list_flags_contradict", InvalidInput, "one index given two different statuses"
)
STATUS_LIST_SIZE_MISMATCH = declare(
    "status_list_size_mismatch", Conflict, "a status list keeps the size it was published with"
)
STATUS_LIST_UNCHANGED = declare(
    "status_list_unchanged", Conflict, "the list already says that: nothing to publish"
)
LEDGER_WRITE_UNCONFIRMED = declare(
    "ledger_write_unconfirmed",
    Unavailable,
    "the ledger's answer to a write was lost; the new key is kept (the message says where)",
)
FILE_UNREADABLE = declare("file_unreadable", InvalidInput, "a file given cannot be read")

# -- rules: who may write what (ledger/rules.py, ledger/governance.py) -------------------------

TX_REPLAYED = declare("tx_replayed", Conflict, "the transaction id is already in the log")
TX_WRONG_LEDGER = declare("tx_wrong_ledger", Refused, "the transaction is for another ledger")
TX_STALE = declare("tx_stale", Refused, "the transaction's iat is too far from the ledger's clock")
TX_TYPE_NOT_SUPPORTED = declare(
    "tx_type_not_supported", Refused, "this ledger does not accept that transaction type"
)
GENESIS_EXISTS = declare("genesis_exists", Refused, "the ledger already has its genesis")
DID_EXISTS = declare("did_exists", Conflict, "the DID is already on the ledger")
DID_VERSIONS_EXHAUSTED = declare(
    "did_versions_exhausted", Refused, "the DID has the most versions a DID may have"
)
SIGNER_NOT_GOVERNANCE = declare("signer_not_governance", Refused, "only governance may sign this")
ACCREDITATION_EXISTS = declare(
    "accreditation_exists", Conflict, "the accreditation id already exists"
)
ACCREDITATION_ALREADY_REVOKED = declare(
    "accreditation_already_revoked", Conflict, "the accreditation is already revoked"
)
ACCREDITATION_NOT_FOUND = declare("accreditation_not_found", NotFound, "no such accreditation")
ACCREDITATION_SUBJECT_UNKNOWN = declare(
    "accreditation_subject_unknown", Refused, "the accreditation's subject is not on the ledger"
)
ACCREDITATION_SUBJECT_ROLE = declare(
    "accreditation_subject_role", Refused, "the subject's role cannot hold that accreditation"
)
CREDENTIAL_TYPE_OWNED = declare(
    "credential_type_owned", Refused, "the credential type is registered by another issuer"
)
TYPE_EXTENDS_CYCLE = declare(
    "type_extends_cycle", Refused, "the extends chain loops or is too long"
)
TYPE_EXTENDS_UNKNOWN = declare(
    "type_extends_unknown", Refused, "the extended type is not on the ledger"
)
STATUS_LIST_NOT_OWNER = declare(
    "status_list_not_owner", Refused, "the status list is owned by another DID"
)
STATUS_LIST_SIGNER_MISMATCH = declare(
    "status_list_signer_mismatch", Refused, "the token is not signed by its publisher"
)
STATUS_LIST_FRESHNESS_MISSING = declare(
    "status_list_freshness_missing",
    InvalidInput,
    "the status list token carries neither exp nor ttl",
)
STATUS_LIST_REGRESSION = declare(
    "status_list_regression", Conflict, "the token is older than the one it replaces"
)
STATUS_LIST_UNREVOKED = declare(
    "status_list_unrevoked", Refused, "an update may not clear a revoked entry"
)
STATUS_LIST_ACCREDITATION_ENDED = declare(
    "status_list_accreditation_ended",
    Refused,
    "an agency whose accreditation ended may only add statuses to its lists",
)
STATUS_LIST_RESIZED = declare(
    "status_list_resized", Refused, "an update may not change a list's size or bits"
)

# -- monitors and mirrors ---------------------------------------------------------------------

MONITOR_SOURCE_MISSING = declare(
    "monitor_source_missing", InvalidInput, "name the ledger's URL or its tiles to read"
)
MIRROR_READ_ONLY = declare(
    "mirror_read_only", Refused, "a mirror serves the ledger's log; submit to the ledger"
)
MIRROR_SETTINGS_INVALID = declare(
    "mirror_settings_invalid", InvalidInput, "the mirror settings are invalid"
)
