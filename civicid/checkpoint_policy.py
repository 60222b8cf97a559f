"""What a client requires of a checkpoint before it believes anything proven against it,
beyond the pinned log key's signature: when its trust policy names witnesses (C2SP
tlog-policy), a quorum of their cosignatures (C2SP tlog-cosignature), the newest quorum no
older than the policy's maximum age, none dated in the future beyond the allowed skew.

A split view then needs a quorum of witnesses to cosign both histories, which they refuse
(each cosigns only what is consistent with what it cosigned before); a frozen ledger is
refused once its last quorum ages past the maximum. A policy without witnesses (``quorum
none``, the default) asks for the log's signature only, as before witnesses existed.

``LedgerClient.accept_checkpoint`` is the one caller: every part accepts checkpoints there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from civicid.checkpoint import Checkpoint, NoteVerifier
from civicid.cosignature import (
    MAX_FUTURE_SKEW_SECONDS,
    VerifiedCosignature,
    verify_cosignatures,
)
from civicid.errors import InvalidInput, VerificationError, declare
from civicid.times import rfc3339
from civicid.tlog_policy import TlogPolicy, read_policy_file

CHECKPOINT_QUORUM_MISSING = declare(
    "checkpoint_quorum_missing",
    VerificationError,
    "the checkpoint lacks the witness cosignatures the trust policy requires",
)
CHECKPOINT_TOO_OLD = declare(
    "checkpoint_too_old",
    VerificationError,
    "the checkpoint's newest witness quorum is older than the trust policy allows",
)
TRUST_POLICY_INVALID = declare(
    "trust_policy_invalid", InvalidInput, "the checkpoint trust policy cannot be used"
)

# The ledger sends its latest checkpoint to its witnesses at least every minute by default
# (ledger/witnessing.py): ten minutes is ten missed rounds, past any witness's hiccup, and
# still short enough that a frozen ledger hides a revocation for minutes, not days.
DEFAULT_MAX_AGE: Final = 600
# Witnesses' clocks drift from the client's: up to this far ahead is tolerated
# (tlog-cosignature: "verifiers MAY reject cosignatures with timestamps in the future").
DEFAULT_MAX_SKEW: Final = MAX_FUTURE_SKEW_SECONDS
NO_WITNESSES: Final = "quorum none\n"
# How old a pinned (federated) ledger's newest witness quorum may be: as long as a client's
# own ledger may be set to (a month), past which a frozen ledger hides revocations for too
# long. Here, not in civicid.trust.pins, so a command's help can say it without importing
# the ledger client.
MAX_PINNED_AGE: Final = 30 * 86400


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A checkpoint as the policy accepted it: who cosigned it and when the quorum stood."""

    checkpoint: Checkpoint
    cosigners: tuple[str, ...] = ()  # the policy names of valid cosignatures
    quorum_at: int | None = None  # newest time a quorum had cosigned (None: none required)
    cosignatures: tuple[VerifiedCosignature, ...] = ()

    def describe(self) -> str:
        if self.quorum_at is None:
            return f"tree size {self.checkpoint.size}, signed by the ledger"
        return (
            f"tree size {self.checkpoint.size}, cosigned by {', '.join(self.cosigners)}"
            f" (quorum as of {rfc3339(self.quorum_at)})"
        )


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """A client's rule for checkpoints: the witnesses and quorum of a C2SP tlog-policy (its
    ``log`` lines, if any, must name the pinned key), the maximum age of the newest quorum in
    seconds, and how far in the future a cosignature may be dated."""

    witnesses: TlogPolicy = field(default_factory=lambda: TlogPolicy.parse(NO_WITNESSES))
    max_age: int = DEFAULT_MAX_AGE
    max_skew: int = DEFAULT_MAX_SKEW

    def __post_init__(self) -> None:
        if isinstance(self.max_age, bool) or not isinstance(self.max_age, int):
            raise TRUST_POLICY_INVALID("the maximum age is a whole number of seconds")
        if self.max_age <= 0 or not 0 <= self.max_skew <= self.max_age:
            raise TRUST_POLICY_INVALID("need 0 < maximum age and 0 <= skew <= maximum age")

    @classmethod
    def parse(cls, text: str | bytes, *, max_age: int = DEFAULT_MAX_AGE) -> CheckpointPolicy:
        return cls(TlogPolicy.parse(text), max_age=max_age)

    @classmethod
    def load(cls, path: Path, *, max_age: int = DEFAULT_MAX_AGE) -> CheckpointPolicy:
        """The tlog-policy file at ``path`` (bounded read)."""
        return cls.parse(read_policy_file(path, TRUST_POLICY_INVALID), max_age=max_age)

    @property
    def requires_witnesses(self) -> bool:
        return not self.witnesses.evaluate(()).met

    def check_log(self, verifier: NoteVerifier, vkey: str) -> None:
        """The pinned key must be among the policy's logs, when it lists any."""
        logs = self.witnesses.logs
        if logs and all(log.vkey != vkey for log in logs):
            raise TRUST_POLICY_INVALID(
                f"the trust policy lists other logs than {verifier.name} under its pinned key"
            )

    def check(self, note: str, checkpoint: Checkpoint, *, now: int) -> Witnessed:
        """Steps, for a note whose log signature verified as ``checkpoint``:
        1. every cosignature by a policy witness verifies (lines by unknown keys are ignored;
           one witness counts once, with its newest line), none dated past ``now`` + skew;
        2. the valid ones meet the quorum (``checkpoint_quorum_missing`` names who is missing);
        3. the newest quorum is at most ``max_age`` old (``checkpoint_too_old``)."""
        if not self.requires_witnesses:
            return Witnessed(checkpoint)
        policy = self.witnesses
        verified = verify_cosignatures(
            note, policy.cosigners(), now=now, max_future_skew=self.max_skew
        )
        names = policy.names_of(verified)
        result = policy.evaluate(names)
        if not result.met:
            have = ", ".join(result.cosigned) or "no witness"
            raise CHECKPOINT_QUORUM_MISSING(
                f"checkpoint {checkpoint.size} is cosigned by {have}: quorum {policy.quorum} "
                f"is not met (missing {', '.join(result.missing)})",
                cosigned=list(result.cosigned),
                missing=list(result.missing),
            )
        witnessed = Witnessed(checkpoint, result.cosigned, self._quorum_at(verified), verified)
        self.check_age(witnessed, now=now)
        return witnessed

    def _quorum_at(self, verified: tuple[VerifiedCosignature, ...]) -> int:
        """The newest time T such that the cosignatures dated T or later meet the quorum."""
        newest_first = sorted(verified, key=lambda v: v.timestamp, reverse=True)
        for count in range(1, len(newest_first) + 1):
            names = self.witnesses.names_of(newest_first[:count])
            if self.witnesses.evaluate(names).met:
                return newest_first[count - 1].timestamp
        raise CHECKPOINT_QUORUM_MISSING("the cosignatures do not meet the quorum")

    def check_age(self, witnessed: Witnessed, *, now: int) -> None:
        """An age of exactly ``max_age`` still stands; one second more does not."""
        if witnessed.quorum_at is None:
            return
        age = now - witnessed.quorum_at
        if age > self.max_age:
            raise CHECKPOINT_TOO_OLD(
                f"checkpoint {witnessed.checkpoint.size} was last witnessed {age} s ago (by "
                f"{', '.join(witnessed.cosigners)}); the policy allows {self.max_age} s",
                age=age,
            )


__all__ = [
    "CHECKPOINT_QUORUM_MISSING",
    "CHECKPOINT_TOO_OLD",
    "DEFAULT_MAX_AGE",
    "MAX_PINNED_AGE",
    "TRUST_POLICY_INVALID",
    "CheckpointPolicy",
    "Witnessed",
]
