"""Who may sign what on the ledger, as a client checks it: a DID's history verified version
by version from its creation, governance's from genesis."""

from __future__ import annotations

from civicid.errors import VerificationError, declare

SIGNER_UNKNOWN = declare("signer_unknown", VerificationError, "the signer is not on the ledger")
SIGNER_DEACTIVATED = declare(
    "signer_deactivated", VerificationError, "the signer's DID was deactivated by then"
)
