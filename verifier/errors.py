"""The verifier's error codes, each declared once (its class fixes HTTP status and exit code).

Codes of the presentation checks are also the names of the steps that raise them, so a
decision's failing step reads the same in JSON, in the audit trail, on the desk's screen and
in the citizen's receipt.
"""

from __future__ import annotations

from civicid.errors import (
    EXIT_UNAVAILABLE,
    Conflict,
    Error,
    Gone,
    InvalidInput,
    NotFound,
    Refused,
    StorageError,
    declare,
)

# -- policies ------------------------------------------------------------------------------
POLICY_UNKNOWN = declare("policy_unknown", NotFound, "no such policy at this desk")
POLICIES_MISSING = declare("policies_missing", NotFound, "the desk's policy directory is missing")
POLICY_LOST = declare(
    "policy_lost", NotFound, "a policy installed at this desk is gone from its directory"
)
POLICY_NOT_NAMED = declare("policy_not_named", InvalidInput, "a request names the policy it is for")
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


class Busy(Error):
    """RFC 9110 §15.6.4: the desk holds as many requests as it may for now; ``Retry-After``."""

    http_status = 503
    exit_code = EXIT_UNAVAILABLE


# Asking for a request needs no login: how many a desk makes within a request's lifetime is
# bounded, per client and in all (civicid/quota.py, where a client's code is declared); the
# answer says when to try again.
DESK_REQUESTS_FULL = declare(
    "desk_requests_full",
    Busy,
    "the desk holds as many requests as it may for now; try again later",
)

# The codes of the presentation checks and of the policy language are the kernel's
# (civicid/eligibility/errors.py, civicid/policy.py): an agency issuing by rule refuses with
# the same ones. Named here too, where the desk's modules meet them. So is host_not_allowed,
# the shell's (civicid/shell/hosts.py): a desk answers only requests that name it in Host.
from civicid.eligibility.errors import CLAIM_MISSING as CLAIM_MISSING  # noqa: E402
from civicid.eligibility.errors import CREDENTIAL_ISSUER_INVALID as CREDENTIAL_ISSUER_INVALID  # noqa: E402
from civicid.eligibility.errors import CREDENTIAL_KEY_NOT_IN_FORCE as CREDENTIAL_KEY_NOT_IN_FORCE  # noqa: E402
from civicid.eligibility.errors import CREDENTIAL_STATUS_INVALID as CREDENTIAL_STATUS_INVALID  # noqa: E402
from civicid.eligibility.errors import CREDENTIAL_TOO_OLD as CREDENTIAL_TOO_OLD  # noqa: E402
from civicid.eligibility.errors import ISSUER_NOT_ACCEPTED as ISSUER_NOT_ACCEPTED  # noqa: E402
from civicid.eligibility.errors import PRESENTATION_REPLAYED as PRESENTATION_REPLAYED  # noqa: E402
from civicid.eligibility.errors import PRESENTATION_TOO_DEEP as PRESENTATION_TOO_DEEP  # noqa: E402
from civicid.eligibility.errors import PRESENTATION_TOO_LARGE as PRESENTATION_TOO_LARGE  # noqa: E402
from civicid.eligibility.errors import STATUS_MISSING as STATUS_MISSING  # noqa: E402
from civicid.eligibility.errors import STATUS_REVOKED as STATUS_REVOKED  # noqa: E402
from civicid.eligibility.errors import STATUS_SUSPENDED as STATUS_SUSPENDED  # noqa: E402
from civicid.eligibility.errors import STATUS_UNKNOWN_VALUE as STATUS_UNKNOWN_VALUE  # noqa: E402
from civicid.eligibility.errors import VCT_NOT_ACCEPTED as VCT_NOT_ACCEPTED  # noqa: E402
from civicid.eligibility.errors import VCT_SCHEMA_MISMATCH as VCT_SCHEMA_MISMATCH  # noqa: E402
from civicid.eligibility.errors import VCT_UNKNOWN as VCT_UNKNOWN  # noqa: E402
from civicid.policy import POLICY_INVALID as POLICY_INVALID  # noqa: E402
from civicid.policy import PREDICATE_FAILED as PREDICATE_FAILED  # noqa: E402
from civicid.shell.errors import HOST_NOT_ALLOWED as HOST_NOT_ALLOWED  # noqa: E402

# -- offline mode ------------------------------------------------------------------------
SNAPSHOT_MISSING = declare("snapshot_missing", NotFound, "no offline snapshot; run sync")
SNAPSHOT_INVALID = declare("snapshot_invalid", InvalidInput, "the snapshot file is not valid")
# snapshot_incomplete and snapshot_stale are the kernel's (civicid/trust/cache.py): the trust
# package decides when remembered ledger data may no longer stand in for the ledger.

# -- set-up and storage ------------------------------------------------------------------
VERIFIER_NOT_INITIALIZED = declare(
    "verifier_not_initialized", NotFound, "no verifier here; run civicid verifier init"
)
VERIFIER_SETTINGS_MISSING = declare(
    "verifier_settings_missing",
    NotFound,
    "the desk's settings file is gone while its records are here",
)
VERIFIER_STORE_FAILED = declare(
    "verifier_store_failed", StorageError, "the verifier's store cannot be read or written"
)
VERIFIER_STORE_MISSING = declare(
    "verifier_store_missing", StorageError, "the desk's store is gone from a data dir it ran in"
)
VERIFIER_STORE_DAMAGED = declare(
    "verifier_store_damaged",
    StorageError,
    "the verifier's store is damaged (empty, or not its database): it was left as it is",
)
VERIFIER_INIT_FAILED = declare(
    "verifier_init_failed", StorageError, "init could not write the desk's files; nothing changed"
)
VERIFIER_SETTINGS_INVALID = declare(
    "verifier_settings_invalid", InvalidInput, "the verifier's settings are not valid"
)
