"""Credential types as a person reads them on the transparency page: by the name their
metadata registers on the ledger, with the type's URL beside it as secondary text (the URL
alone where no name is registered)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from civicid import words
from civicid.console import inert
from ledger.state import State, visible


@dataclass(frozen=True, slots=True)
class TypeShown:
    name: str  # the name its latest version registers, inert; "" when none is
    vct: str  # the type's URL, inert


def type_shown(state: State, size: int, vct: str) -> TypeShown:
    """``vct`` as the log up to ``size`` names it (its latest version's metadata ``name``, as
    the page's Credential types section heads it)."""
    versions = visible(state.credential_types.get(vct, []), size)
    name = versions[-1].metadata.document.get("name") if versions else None
    return TypeShown(inert(name) if isinstance(name, str) else "", inert(vct))


def claim_labels(state: State, size: int, vcts: Sequence[str]) -> dict[str, str]:
    """The labels ``vcts``' latest metadata on the log up to ``size`` give their claims
    (claim name -> label, ``civicid.words.labels``), as the wallet and the desk show them;
    the first type's win. Not inert: they are shown through ``civicid.words.claim``."""
    labels: dict[str, str] = {}
    for vct in reversed(vcts):
        versions = visible(state.credential_types.get(vct, []), size)
        if versions:
            labels.update(words.labels(versions[-1].metadata.document))
    return labels
