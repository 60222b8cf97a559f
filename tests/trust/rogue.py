"""A rogue ledger (or a lying mirror): it answers with genuine entries, genuine inclusion
proofs and the genuine signed checkpoint, and lies only by what it leaves out or adds. Only
the state map proofs (nothing newer withheld) and the client's own judgement of the entries
can catch it; each lie here is one a client must refuse."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from civicid import transaction as tx
from civicid.transaction import Transaction

Lie = Callable[[httpx.Request, dict[str, Any]], dict[str, Any] | None]


class Rogue(httpx.BaseTransport):
    """Passes every request to the genuine ledger; answers of ``path`` go through ``lie``
    (None: told as they are), a lie always as a 200 (a deactivated DID's 410 included).
    ``lied`` counts the answers it changed."""

    def __init__(self, inner: httpx.BaseTransport, path: str, lie: Lie) -> None:
        self.inner, self.path, self.lie = inner, path, lie
        self.lied = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        if request.url.path != self.path or answer.status_code not in (200, 410):
            return answer
        body = json.loads(answer.read())
        told = self.lie(request, body)
        if told is None:
            return httpx.Response(answer.status_code, json=body)
        self.lied += 1
        return httpx.Response(200, json=told)


def kind_of(item: dict[str, Any]) -> str:
    return Transaction.parse(item["transaction"]).type


def revocation_withheld(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """The grant's revocation left out; the verdict set to "accredited" by that grant."""
    if "subject" not in request.url.params:
        return None
    kept = [e for e in body["entries"] if kind_of(e) != tx.ACCREDITATION_REVOKE]
    if len(kept) == len(body["entries"]):
        return None
    grants = [Transaction.parse(e["transaction"]).body for e in kept]
    return {**body, "entries": kept, "accredited": True,
            "accreditation": grants[0]["accreditation"]}  # fmt: skip


def verdict_unsupported(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """The genuine entries, with a verdict they do not give."""
    if "subject" not in request.url.params or body.get("accredited"):
        return None
    grants = [e for e in body["entries"] if kind_of(e) == tx.ACCREDITATION_GRANT]
    if not grants:
        return {**body, "accredited": True, "accreditation": "acc-000000000000"}
    first = Transaction.parse(grants[0]["transaction"]).body["accreditation"]
    return {**body, "accredited": True, "accreditation": first}


def borrowed_grant(ledger: httpx.BaseTransport, subject: str, vct: str) -> Lie:
    """The genuine answer about ``subject``'s grants for ``vct``, told as the answer about
    whoever was asked (genuine grants of another subject, or of another kind)."""

    def lie(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
        if "subject" not in request.url.params or request.url.params["subject"] == subject:
            return None
        other = genuine(ledger, "/accreditations", subject=subject, vct=vct,
                        at=request.url.params["at"])  # fmt: skip
        return {**other, "accredited": True}

    return lie


def genuine(ledger: httpx.BaseTransport, path: str, **params: Any) -> dict[str, Any]:
    request = httpx.Request("GET", httpx.URL(f"http://testserver{path}", params=params))
    answer = ledger.handle_request(request)
    answer.read()
    body: dict[str, Any] = answer.json()
    return body


def item_at(ledger: httpx.BaseTransport, seq: int, size: int) -> dict[str, Any]:
    """Entry ``seq`` with its genuine inclusion proof in the tree of ``size`` entries."""
    text = genuine(ledger, f"/transactions/{seq}")["transaction"]
    inclusion = genuine(ledger, "/proofs/inclusion", seq=seq, treeSize=size)["inclusion"]
    return {"seq": seq, "transaction": text, "inclusion": inclusion}


def older_version(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
    """A DID's history without its newest version (a rotation or a deactivation), told as
    the DID's current state, every remaining version genuinely proven."""
    proof = body.get("didResolutionMetadata", {}).get("proof")
    if not proof or len(proof["versions"]) < 2:
        return None
    kept = proof["versions"][:-1]
    head = Transaction.parse(kept[-1]["transaction"])
    metadata = {**body["didDocumentMetadata"], "deactivated": False}
    metadata.pop("nextVersionId", None)
    return {**body, "didDocument": head.body.get("document"), "didDocumentMetadata": metadata,
            "didResolutionMetadata": {**body["didResolutionMetadata"],
                                      "proof": {**proof, "versions": kept}}}  # fmt: skip


def earlier_entry(ledger: httpx.BaseTransport, seq: int, fields: Callable[[Transaction],
                  dict[str, Any]]) -> Lie:  # fmt: skip
    """An answer about a type or a list told from its earlier entry ``seq`` (genuinely
    proven in the current tree) instead of the newest one."""

    def lie(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("seq") == seq:
            return None
        item = item_at(ledger, seq, body["treeSize"])
        others = [e for e in body["entries"] if e["seq"] != body["seq"]]
        entries = sorted([*others, item], key=lambda e: int(e["seq"]))
        told = fields(Transaction.parse(item["transaction"]))
        return {**body, **told, "seq": seq, "entries": entries}

    return lie
