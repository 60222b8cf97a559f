"""Where a client decides to believe the ledger: the only place.

``Trust`` answers every question the issuer, the wallet and the verifier ask of the ledger
(keys in force, accreditations, desks' claims, credential types, status lists and their
owners) from entries proven against a checkpoint the client accepted, with one bounded,
time-aware memory of answers (``AnswerCache``) and "as of" for offline snapshots.
"""

from civicid.trust.cache import (
    MAX_ANSWERS,
    SNAPSHOT_INCOMPLETE,
    SNAPSHOT_STALE,
    AnswerCache,
    Fetched,
)
from civicid.trust.questions import (
    ANY_AGE,
    KEY_NOT_IN_FORCE,
    NO_REUSE,
    STATUS_LIST_NOT_ISSUERS,
    DeskStanding,
    Trust,
)

__all__ = [
    "ANY_AGE",
    "KEY_NOT_IN_FORCE",
    "MAX_ANSWERS",
    "NO_REUSE",
    "SNAPSHOT_INCOMPLETE",
    "SNAPSHOT_STALE",
    "STATUS_LIST_NOT_ISSUERS",
    "AnswerCache",
    "DeskStanding",
    "Fetched",
    "Trust",
]
