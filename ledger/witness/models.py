"""What the witness's JSON routes answer (``GET /status``, ``GET /evidence``), as the typed
models its service builds and its readers parse. ``add-checkpoint`` itself speaks the text
protocol of tlog-witness, not JSON."""

from __future__ import annotations

from typing import Literal

from civicid.wire.base import B64Hash, Camel, ProofPath, Time, optional


class WitnessHealth(Camel):
    status: Literal["ok"]
    name: str
    vkey: str


class FollowedLogView(Camel):
    origin: str
    keys: list[str]  # each key as ``name+keyid``
    tree_size: int  # the last size cosigned (0: none yet)
    root: B64Hash | None = optional()


class EvidenceSummary(Camel):
    id: str
    kind: Literal["same_size", "inconsistent"]
    origin: str
    detected: Time


class WitnessStatus(Camel):
    name: str
    vkey: str
    logs: list[FollowedLogView]
    evidence: list[EvidenceSummary]


class EvidenceView(Camel):
    """Two signed notes of one log that cannot both be true, and the proof, if any."""

    id: str
    kind: Literal["same_size", "inconsistent"]
    origin: str
    detected: Time
    known: str
    conflicting: str
    proof: ProofPath


class EvidenceList(Camel):
    """A page of the evidence, oldest first; ``next`` (when more follow) is the ``after``
    that asks for the next page."""

    evidence: list[EvidenceView]
    next: int | None = optional()
