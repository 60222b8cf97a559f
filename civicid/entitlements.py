"""Single-use entitlements (a food voucher, a one-off grant): a credential type whose metadata
marks it single use is redeemed once, at one distribution point, and refused everywhere after.

A redemption is a ledger entry by the desk that accepted the credential, keyed by the
credential's own status reference (its status list URI and index: random, so it names no
person, and already the credential's handle for revocation). The ledger, one sequencer,
accepts one redemption per reference: of two desks redeeming at once, exactly one wins. The
redemptions of one list are numbered 1, 2, ... and the state map holds the latest, so a
reader holding the latest and every one before it knows none was withheld: a desk offline
when a voucher was redeemed refuses it once it has synced. (``ledger/entitlements.py``
checks the entries; ``civicid/rule_registry.py`` proves them to clients.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from civicid.accreditation import check_vct
from civicid.checkpoint import Checkpoint
from civicid.did import DID
from civicid.errors import Conflict, Error, InvalidInput, Refused, Unavailable, declare
from civicid.status_uri import check_status_uri
from civicid.transaction import ENTITLEMENT_REDEEM, Transaction

ENTITLEMENT_ALREADY_REDEEMED = declare(
    "entitlement_already_redeemed",
    Refused,
    "this single-use entitlement has already been redeemed at a distribution point",
)
ENTITLEMENT_INVALID = declare(
    "entitlement_invalid", InvalidInput, "the redemption entry is not well formed"
)
ENTITLEMENT_NOT_SINGLE_USE = declare(
    "entitlement_not_single_use", InvalidInput, "the credential type is not marked single use"
)
ENTITLEMENT_NUMBER_CONFLICT = declare(
    "entitlement_number_conflict",
    Conflict,
    "another redemption of the list was logged first: read the list's redemptions again",
)
ENTITLEMENT_NEEDS_LEDGER = declare(
    "entitlement_needs_ledger",
    Unavailable,
    "a single-use entitlement is redeemed only with the ledger reachable (it decides which "
    "desk wins); offline, a desk can only refuse one already redeemed",
)

# The type metadata member (an extension, as SD-JWT VC type metadata §5.2 allows) marking a
# type single use. Its value must be exactly true.
SINGLE_USE: Final = "civicid_single_use"
# Status lists hold at most 2**20 entries (civicid.status_list); an index beyond is no voucher.
MAX_INDEX: Final = 2**20
# One answer carries every redemption of a list: vouchers are issued in lists of thousands; a
# list redeemed more often than this is split by its agency (new lists, as they fill).
MAX_REDEMPTIONS_PER_LIST: Final = 100_000


def single_use(metadata: dict[str, Any]) -> bool:
    """Whether type metadata marks its type single use."""
    return metadata.get(SINGLE_USE) is True


@dataclass(frozen=True, slots=True)
class Redemption:
    """One logged redemption: which credential (by its status reference), of which type, by
    which desk, when, and its number among the list's redemptions."""

    uri: str
    idx: int
    vct: str
    number: int
    desk: DID
    time: int
    seq: int
    leaf_hash: bytes = b""

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "idx": self.idx,
            "vct": self.vct,
            "number": self.number,
            "desk": self.desk,
            "time": self.time,
            "seq": self.seq,
        }


def parse_redeem(body: dict[str, Any]) -> tuple[str, int, str, int]:
    """(uri, idx, vct, number) of a redemption entry's body."""
    try:
        uri = check_status_uri(body.get("uri"))
        vct = check_vct(body.get("vct"))
    except Error as exc:
        raise ENTITLEMENT_INVALID(exc.message) from exc
    idx, number = body.get("idx"), body.get("number")
    if type(idx) is not int or not 0 <= idx < MAX_INDEX:
        raise ENTITLEMENT_INVALID(f"idx is a status list index below {MAX_INDEX}")
    if type(number) is not int or not 1 <= number <= MAX_REDEMPTIONS_PER_LIST:
        raise ENTITLEMENT_INVALID(f"number counts from 1 to {MAX_REDEMPTIONS_PER_LIST}")
    return uri, idx, vct, number


def redeem_body(*, uri: str, idx: int, vct: str, number: int) -> dict[str, Any]:
    body = {"uri": uri, "idx": idx, "vct": vct, "number": number}
    parse_redeem(body)
    return body


def redemption_of(tx: Transaction, seq: int, leaf_hash: bytes = b"") -> Redemption:
    if tx.type != ENTITLEMENT_REDEEM:
        raise ENTITLEMENT_INVALID(f"a {tx.type} entry is not a redemption")
    uri, idx, vct, number = parse_redeem(tx.body)
    return Redemption(uri, idx, vct, number, tx.signer, tx.iat, seq, leaf_hash)


def status_reference(claims: dict[str, Any]) -> tuple[str, int] | None:
    """A credential's status list reference (Token Status List §6.2): its URI and index."""
    reference = claims.get("status")
    listed = reference.get("status_list") if isinstance(reference, dict) else None
    if not isinstance(listed, dict):
        return None
    uri, idx = listed.get("uri"), listed.get("idx")
    if not isinstance(uri, str) or type(idx) is not int:
        return None
    return uri, idx


@dataclass(frozen=True)
class ProvenRedemptions:
    """Every redemption of a status list's credentials, each entry proven included and signed
    by its desk, numbered without a gap, the last proven the latest (or none, proven)."""

    uri: str
    redeemed: dict[int, Redemption]  # by index
    checkpoint: Checkpoint

    @property
    def count(self) -> int:
        return len(self.redeemed)

    def require_unredeemed(self, idx: int) -> None:
        found = self.redeemed.get(idx)
        if found is not None:
            raise ENTITLEMENT_ALREADY_REDEEMED(
                f"redeemed at a distribution point at {found.time} (ledger entry {found.seq})",
                seq=found.seq,
            )
