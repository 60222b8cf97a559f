"""Answers a client can check: the log entries an answer rests on, each with its RFC 9162
inclusion proof, and the signed checkpoint they are proven against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from civicid.encoding import b64_encode
from civicid.merkle import leaf_hash
from ledger.errors import LEDGER_NOT_INITIALIZED
from ledger.log import Ledger


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A signed checkpoint and the tree size it signs: one consistent view of the log."""

    checkpoint: str
    size: int


def snapshot(ledger: Ledger) -> Snapshot:
    """The latest checkpoint and the size it signs, read as one view of the log."""
    view = ledger.view
    if not view.checkpoint:
        raise LEDGER_NOT_INITIALIZED("the ledger has no checkpoint yet")
    return Snapshot(view.checkpoint, view.size)


def entry(ledger: Ledger, seq: int, size: int, *, text: bool = True) -> dict[str, Any]:
    """One entry (its text, or only its leaf hash) with its inclusion proof at ``size``."""
    leaf = ledger.entry(seq)
    item: dict[str, Any] = (
        {"seq": seq, "transaction": leaf.decode("ascii")}
        if text
        else {"seq": seq, "leafHash": leaf_hash(leaf).hex()}
    )
    item["inclusion"] = [b64_encode(h) for h in ledger.inclusion_proof(seq, size)]
    return item


def proven(
    ledger: Ledger,
    view: Snapshot,
    seqs: Iterable[int],
    answer: dict[str, Any],
    *,
    text: bool = True,
) -> dict[str, Any]:
    """``answer`` with the checkpoint and every entry it depends on, in log order; with
    ``text=False`` entries carry leaf hashes (``GET /transactions/{seq}`` has the text)."""
    return {
        "checkpoint": view.checkpoint,
        "treeSize": view.size,
        **answer,
        "entries": [entry(ledger, seq, view.size, text=text) for seq in sorted(set(seqs))],
    }
