"""The witnesses of the checkpoint the transparency page shows: with the ledger's witness
policy, each witness it names and its cosignature verified (or its absence), and the quorum in
words; without it (a mirror), the cosignature lines as read, said to be unverified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from civicid.console import inert
from civicid.cosignature import verify_cosignatures
from civicid.encoding import b64_decode
from civicid.errors import Error
from civicid.tlog_policy import TlogPolicy
from ledger.transparency.times import age, when

# C2SP tlog-cosignature: a cosignature line's signature is key id (4), timestamp (8), Ed25519
# signature (64).
COSIGNATURE_BYTES: Final = 4 + 8 + 64
KEY_ID_BYTES: Final = 4


@dataclass(frozen=True, slots=True)
class Witness:
    name: str
    cosigned: str
    age: str
    signed: bool  # its cosignature is on the checkpoint


def witnessed(note: str, policy: TlogPolicy, now: int) -> tuple[Witness, ...]:
    """Every witness the ledger's policy names, with its cosignature on ``note`` verified
    (or none): a line that does not verify is not shown as a cosignature."""
    try:
        verified = {v.cosigner: v.timestamp for v in verify_cosignatures(note, policy.cosigners())}
    except Error:
        verified = {}
    found = []
    for witness in policy.witnesses:
        stamp = verified.get(witness.verifier)
        found.append(
            Witness(
                inert(witness.verifier.name),
                when(stamp) if stamp is not None else "Not on this checkpoint",
                age(now - stamp) if stamp is not None else "—",
                stamp is not None,
            )
        )
    return tuple(found)


def quorum_words(policy: TlogPolicy, found: tuple[Witness, ...]) -> str:
    names = [w.name for w, shown in zip(policy.witnesses, found, strict=True) if shown.signed]
    result = policy.evaluate(names)
    if result.met:
        return f"The ledger's witness quorum ({inert(policy.quorum)}) cosigned this checkpoint."
    missing = ", ".join(inert(name) for name in result.missing)
    return f"The ledger's witness quorum ({inert(policy.quorum)}) is not met: missing {missing}."


def witnesses(signatures: str, log_key_name: str, now: int) -> tuple[Witness, ...]:
    """The cosignatures among a note's signature lines (C2SP tlog-cosignature): each
    witness's name and when it cosigned, read, not verified (a copy that does not hold the
    ledger's witness policy); the "check" form and every client verify what they rely on."""
    found = []
    for line in signatures.splitlines():
        name, _, blob = line.removeprefix("\u2014 ").rpartition(" ")
        if not name or name == log_key_name:
            continue
        try:
            raw = b64_decode(blob)
        except Error:
            continue
        if len(raw) != COSIGNATURE_BYTES:
            continue
        stamp = int.from_bytes(raw[KEY_ID_BYTES : KEY_ID_BYTES + 8], "big")
        found.append(Witness(inert(name), when(stamp), age(now - stamp), True))
    return tuple(found)
