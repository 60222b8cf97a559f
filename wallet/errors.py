"""The wallet's error codes, each declared once (``civicid.errors.declare``)."""

from __future__ import annotations

from civicid.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    Unauthorized,
    VerificationError,
    declare,
)

# -- settings -----------------------------------------------------------------------------
WALLET_SETTINGS_INVALID = declare(
    "wallet_settings_invalid", InvalidInput, "the wallet's settings are invalid"
)
WALLET_LEDGER_UNCONFIGURED = declare(
    "wallet_ledger_unconfigured",
    InvalidInput,
    "the wallet does not know the ledger's checkpoint key (civicid wallet init --ledger-key)",
)

# -- the encrypted store ------------------------------------------------------------------
WALLET_NOT_FOUND = declare(
    "wallet_not_found", NotFound, "no wallet here yet (civicid wallet init creates one)"
)
WALLET_STORE_MISSING = declare(
    "wallet_store_missing",
    StorageError,
    "a wallet ran here but its file is missing (civicid wallet restore brings a backup back)",
)
WALLET_EXISTS = declare("wallet_exists", Conflict, "a wallet already exists here")
WALLET_PASSPHRASE_WRONG = declare(
    "wallet_passphrase_wrong", Unauthorized, "the passphrase does not open this wallet"
)
WALLET_PASSPHRASE_WEAK = declare(
    "wallet_passphrase_weak", InvalidInput, "the passphrase is too short"
)
WALLET_PASSPHRASE_MISMATCH = declare(
    "wallet_passphrase_mismatch", InvalidInput, "the passphrase and its confirmation differ"
)
WALLET_PASSPHRASE_MISSING = declare(
    "wallet_passphrase_missing", InvalidInput, "no passphrase was given"
)
WALLET_STORE_CORRUPT = declare(
    "wallet_store_corrupt", StorageError, "the wallet file is damaged or truncated"
)
WALLET_STORE_PUT_BACK = declare(
    "wallet_store_put_back",
    StorageError,
    "the wallet file was found damaged and was written again from this program's copy",
)
WALLET_CHECKPOINT_PUT_BACK = declare(
    "wallet_checkpoint_put_back",
    StorageError,
    "the wallet's checkpoint file was found changed from outside and was written again",
)
WALLET_STORE_UNSUPPORTED = declare(
    "wallet_store_unsupported", StorageError, "the wallet file is of an unknown format version"
)
WALLET_STORE_WRITE_FAILED = declare(
    "wallet_store_write_failed", StorageError, "the wallet could not be saved"
)
WALLET_IN_USE = declare("wallet_in_use", StorageError, "another program has this wallet open")
WALLET_LOCKED = declare("wallet_locked", Unauthorized, "the wallet locked itself after idling")

WALLET_RECORD_INVALID = declare(
    "wallet_record_invalid", StorageError, "a record in the wallet is malformed"
)

# -- backups ------------------------------------------------------------------------------
WALLET_BACKUP_INVALID = declare(
    "wallet_backup_invalid", VerificationError, "the backup is damaged, altered or not a backup"
)
WALLET_BACKUP_PASSPHRASE_WRONG = declare(
    "wallet_backup_passphrase_wrong", Unauthorized, "the passphrase does not open this backup"
)
WALLET_BACKUP_TARGET_TAKEN = declare(
    "wallet_backup_target_taken",
    Conflict,
    "a backup replaces only an older backup, never another file",
)
WALLET_RESTORE_NOT_EMPTY = declare(
    "wallet_restore_not_empty", Conflict, "restore only goes into an empty wallet"
)

# -- credentials and history --------------------------------------------------------------
WALLET_CREDENTIAL_NOT_FOUND = declare(
    "wallet_credential_not_found", NotFound, "no such credential in this wallet"
)
WALLET_CNF_MISMATCH = declare(
    "wallet_cnf_mismatch", VerificationError, "the credential is not bound to the wallet's key"
)
WALLET_HOLDER_KEY_MISSING = declare(
    "wallet_holder_key_missing", InvalidInput, "the credential is bound to a key not given"
)
WALLET_IMPORT_INVALID = declare(
    "wallet_import_invalid", InvalidInput, "the file is not an SD-JWT VC the wallet can hold"
)

# -- protocols ----------------------------------------------------------------------------
WALLET_URI_INVALID = declare(
    "wallet_uri_invalid", InvalidInput, "not an offer or request link the wallet understands"
)
WALLET_ISSUER_MISMATCH = declare(
    "wallet_issuer_mismatch", VerificationError, "the credential is not from the offering issuer"
)
WALLET_ISSUER_UNBOUND = declare(
    "wallet_issuer_unbound",
    Refused,
    "the issuer's URL is not one its agency's DID document on the ledger names",
)
WALLET_AUTHORIZATION_SERVER_UNLISTED = declare(
    "wallet_authorization_server_unlisted",
    Refused,
    "the offer names an authorization server the issuer's own metadata does not list",
)
WALLET_ENDPOINT_UNBOUND = declare(
    "wallet_endpoint_unbound",
    Refused,
    "an endpoint the wallet would send a secret to is not under its agency's address",
)
WALLET_ISSUANCE_FAILED = declare(
    "wallet_issuance_failed", VerificationError, "the issuer answered outside the protocol"
)
WALLET_NO_MATCH = declare(
    "wallet_no_match", NotFound, "no credential in the wallet holds what is asked for"
)
WALLET_CREDENTIAL_REVOKED = declare(
    "wallet_credential_revoked", Refused, "the credential was revoked by its issuer"
)
WALLET_CREDENTIAL_SUSPENDED = declare(
    "wallet_credential_suspended", Refused, "the credential is suspended by its issuer"
)
WALLET_CREDENTIAL_EXPIRED = declare("wallet_credential_expired", Refused, "the credential expired")
WALLET_CLAIM_NOT_ALLOWED = declare(
    "wallet_claim_not_allowed",
    Refused,
    "the verifier asks for a claim it is not accredited for; it was not sent",
)
WALLET_CLAIM_REQUIRED = declare(
    "wallet_claim_required", InvalidInput, "a required claim cannot be left out"
)
WALLET_DECLINED = declare("wallet_declined", Refused, "declined: nothing was sent or stored")
WALLET_CONSENT_NEEDED = declare(
    "wallet_consent_needed",
    InvalidInput,
    "no terminal to ask for consent: pass -y (--yes) or run the command in a terminal",
)
WALLET_CLAIM_IN_CLEAR = declare(
    "wallet_claim_in_clear",
    InvalidInput,
    "the claim is in clear in the credential: the desk sees it whatever is chosen",
)
WALLET_OMIT_UNKNOWN = declare(
    "wallet_omit_unknown", InvalidInput, "the claim to leave out is not asked for"
)
WALLET_CLIENT_ID_MISMATCH = declare(
    "wallet_client_id_mismatch",
    VerificationError,
    "the link and the signed request name different desks",
)
WALLET_PRESENTATION_FAILED = declare(
    "wallet_presentation_failed",
    VerificationError,
    "the desk did not answer with its decision and a receipt that agrees with it",
)
WALLET_RULE_MISMATCH = declare(
    "wallet_rule_mismatch",
    Refused,
    "the agency's request asks for other than its rule on the ledger: nothing was sent",
)
WALLET_TX_CODE_REQUIRED = declare(
    "wallet_tx_code_required", InvalidInput, "the offer needs its transaction code"
)
WALLET_TX_CODE_MALFORMED = declare(
    "wallet_tx_code_malformed",
    InvalidInput,
    "the transaction code is not of the length or characters the offer describes",
)
