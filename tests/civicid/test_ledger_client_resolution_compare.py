"""How ``resolve`` holds a resolution to the version it verified itself (the history's proof,
checkpoint and state map stood in for here; each has its own tests): the documents are
compared by content, whatever the order of their members on either side (a transaction's
signer may write its document in any order, and so may the ledger); a document, version
or deactivation the answer misstates is ``resolution_mismatch``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from civicid import ledger_client
from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.ledger_client import LedgerClient

ORIGIN = "ledger.example/resolution-compare"
SIGNER = NoteSigner.generate(ORIGIN)
DID = "did:example:agency"
CHECKPOINT = Checkpoint(ORIGIN, 9, b"\x03" * 32)
PROOF = {"checkpoint": "a note", "treeSize": 9, "seq": 4, "transaction": "a.b.c",
         "inclusion": [], "versions": [], "stateMap": {}}  # fmt: skip
# The verified version's document, its members in the order its signer wrote them.
VERIFIED = {
    "id": DID,
    "verificationMethod": [{"type": "JsonWebKey", "id": f"{DID}#key-1"}],
    "@context": ["https://www.w3.org/ns/did/v1"],
    "assertionMethod": [f"{DID}#key-1"],
}


def reordered(value: Any) -> Any:
    """The same JSON value, every object's members in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def client_answering(
    document: Any, metadata: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[LedgerClient, list[Any]]:
    body = {"didDocument": document, "didDocumentMetadata": metadata,
            "didResolutionMetadata": {"proof": PROOF}}  # fmt: skip
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    client = LedgerClient("http://ledger.test", SIGNER.vkey(), transport=transport)
    asked: list[Any] = []
    version = SimpleNamespace(
        document=SimpleNamespace(data=VERIFIED), version_id="2", deactivated=False, seq=4
    )

    def select(version_id: str | None, when: int | None) -> Any:
        asked.append(("select", version_id, when))
        return version

    chain = SimpleNamespace(latest=SimpleNamespace(seq=6, leaf_hash=b"\x06" * 32), select=select)

    def accept(note: str) -> Checkpoint:
        asked.append(("accept", note))
        return CHECKPOINT

    def verify_history(did: str, versions: list[Any], checkpoint: Checkpoint) -> Any:
        asked.append(("history", did, versions, checkpoint))
        return chain

    client.accept_checkpoint = accept  # type: ignore[method-assign]
    client._verify_history = verify_history  # type: ignore[assignment,method-assign]
    monkeypatch.setattr(
        ledger_client, "check_latest", lambda *args: asked.append(("latest", *args))
    )
    return client, asked


def test_documents_are_compared_by_content(monkeypatch: pytest.MonkeyPatch) -> None:
    document = reordered(VERIFIED)
    assert list(document) != list(VERIFIED) and document == VERIFIED
    client, asked = client_answering(document, {"versionId": "2"}, monkeypatch)
    resolved = client.resolve(DID, version_id="2", version_time="2026-01-01T00:00:00Z")
    assert (resolved.did, resolved.document, resolved.seq) == (DID, document, 4)
    assert resolved.metadata == {"versionId": "2"} and resolved.checkpoint == CHECKPOINT
    assert resolved.chain is not None and resolved.chain.latest.seq == 6
    assert asked == [
        ("accept", "a note"),
        ("history", DID, [], CHECKPOINT),
        ("latest", PROOF, CHECKPOINT, "did", DID, (6, b"\x06" * 32)),
        ("select", "2", 1_767_225_600),
    ]
    client.close()


@pytest.mark.parametrize(
    ("document", "metadata"),
    [
        ({**VERIFIED, "assertionMethod": []}, {"versionId": "2"}),
        (None, {"versionId": "2"}),
        (VERIFIED, {"versionId": "3"}),
        (VERIFIED, {}),
        (VERIFIED, {"versionId": "2", "deactivated": True}),
    ],
    ids=["another-document", "no-document", "another-version", "no-version", "deactivated"],
)
def test_what_the_answer_misstates_is_a_mismatch(
    document: Any, metadata: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = client_answering(document, metadata, monkeypatch)
    with pytest.raises(Error) as exc:
        client.resolve(DID)
    assert exc.value.code == "resolution_mismatch"
    client.close()
