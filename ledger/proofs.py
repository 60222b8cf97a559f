"""Answers a client can check: the log entries an answer rests on, each with its RFC 9162
inclusion proof, the state map proofs that they are the latest (or that nothing exists), and
the signed checkpoint both are proven against (``civicid.wire``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from civicid.errors import Error
from civicid.merkle import leaf_hash
from civicid.statemap import map_key
from civicid.wire import IncludedEntry, Proven
from ledger.errors import LEDGER_NOT_INITIALIZED
from ledger.log import Ledger, View

Answer = TypeVar("Answer", bound=Proven)


def snapshot(ledger: Ledger) -> View:
    """The latest checkpoint and the size it signs, read as one view of the log."""
    view = ledger.view
    if not view.checkpoint:
        raise LEDGER_NOT_INITIALIZED("the ledger has no checkpoint yet")
    return view


def map_proofs(view: View, names: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """State map proofs of ``(kind, name)`` pairs, by ``"<kind>:<name>"``."""
    return {f"{k}:{n}": view.statemap.prove(map_key(k, n)).to_json() for k, n in names}


def absent(error: Error, view: View, kind: str, name: str) -> Error:
    """``error`` (a "not found") with the proof that the map holds nothing for the name."""
    error.details.update(
        checkpoint=view.checkpoint, treeSize=view.size, stateMap=map_proofs(view, [(kind, name)])
    )
    return error


def entry(ledger: Ledger, seq: int, size: int, *, text: bool = True) -> IncludedEntry:
    """One entry (its text, or only its leaf hash) with its inclusion proof at ``size``."""
    leaf = ledger.entry(seq)
    path = ledger.inclusion_proof(seq, size)
    if text:
        return IncludedEntry(seq=seq, transaction=leaf.decode("ascii"), inclusion=path)
    return IncludedEntry(seq=seq, leaf_hash=leaf_hash(leaf), inclusion=path)


def proven(
    ledger: Ledger,
    view: View,
    seqs: Iterable[int],
    answer: dict[str, Any],
    model: type[Answer],
    *,
    text: bool = True,
    names: Iterable[tuple[str, str]] = (),
) -> Answer:
    """``answer`` as ``model``, with the checkpoint and every entry it depends on, in log
    order, and the state map proofs of ``names``; with ``text=False`` entries carry leaf
    hashes (``GET /transactions/{seq}`` has the text)."""
    entries = [entry(ledger, seq, view.size, text=text) for seq in sorted(set(seqs))]
    body = {**answer, "checkpoint": view.checkpoint, "treeSize": view.size, "entries": entries}
    proofs = map_proofs(view, names)
    if proofs:
        body["stateMap"] = proofs
    return model.model_validate(body)
