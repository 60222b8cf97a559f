"""The ledger client's governance questions: is issuer X accredited for type Y at T, may
verifier V ask for claims C, what is type Y, what does status list U say.

Every answer is re-derived from the entries it rests on: each proven included in a checkpoint
the client accepted, and its signature checked with the signer's key as the signer's DID stood
when the entry was logged (the ledger operator who signs checkpoints cannot forge governance
or an issuer). The ledger's own verdict is only compared against the result. Inclusion proves
presence, not absence: a withheld revocation or newer list is caught by auditing or
monitoring the log, not by one answer.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from civicid import proven
from civicid.accreditation import ISSUER, VERIFIER
from civicid.checkpoint import Checkpoint
from civicid.did import DID, split_key_id
from civicid.encoding import b64_decode
from civicid.jose import PublicKey
from civicid.merkle import leaf_hash, verify_inclusion
from civicid.proven import (
    LEDGER_ANSWER_MALFORMED,
    LEDGER_ANSWER_MISMATCH,
    ProvenEntry,
    ProvenStatusList,
    ProvenType,
    TrustAnswer,
)
from civicid.status_list import parse_token, verify_token
from civicid.transaction import Transaction


class ProvingReader(Protocol):
    """What the registry questions need from a ledger client (``LedgerClient`` is one)."""

    origin: str

    def accept_checkpoint(self, note: str) -> Checkpoint: ...

    def get_json(self, path: str, params: dict[str, Any]) -> Any: ...

    def key_at(
        self, kid: str, seq: int, iat: int, relationship: str = "assertionMethod"
    ) -> PublicKey: ...

    def governance(self) -> DID: ...


class RegistryClient:
    def __init__(self, client: ProvingReader) -> None:
        self.client = client

    def proven_entries(self, answer: Any) -> tuple[Checkpoint, list[ProvenEntry]]:
        """Accept the answer's checkpoint; prove each entry's inclusion and signature."""
        client = self.client
        try:
            checkpoint = client.accept_checkpoint(str(answer["checkpoint"]))
            if answer["treeSize"] != checkpoint.size:
                raise LEDGER_ANSWER_MISMATCH("treeSize is not the checkpoint's size")
            entries = []
            for item in answer["entries"]:
                seq, text = int(item["seq"]), str(item["transaction"])
                path = [b64_decode(h) for h in item["inclusion"]]
                verify_inclusion(
                    leaf_hash(text.encode("ascii")), seq, checkpoint.size, path, checkpoint.root
                )
                entries.append(ProvenEntry(seq, Transaction.parse(text)))
        except (KeyError, TypeError, ValueError, UnicodeEncodeError) as exc:
            raise LEDGER_ANSWER_MALFORMED(f"unreadable answer: {exc}") from exc
        for entry in entries:
            # Governance and issuers sign with assertionMethod keys (ledger/governance.py).
            key = client.key_at(entry.tx.kid, entry.seq, entry.tx.iat)
            entry.tx.jws.verify_with(key)
        return checkpoint, entries

    def _trust(
        self, path: str, params: dict[str, Any], kind: str, at: int | None, claims: tuple[str, ...]
    ) -> TrustAnswer:
        when = int(time.time()) if at is None else at
        answer = self.client.get_json(path, params={**params, "at": when})
        checkpoint, entries = self.proven_entries(answer)
        standing, grants = proven.standing(
            entries,
            governance=self.client.governance(),
            origin=self.client.origin,
            subject=params["subject"],
            kind=kind,
            at=when,
            vct=params["vct"],
            claims=claims,
        )
        claimed = (answer.get("accredited"), answer.get("accreditation"))
        if claimed != (standing.accredited, standing.accreditation):
            raise LEDGER_ANSWER_MISMATCH("the ledger's verdict differs from its proven entries")
        return TrustAnswer(standing, grants, checkpoint)

    def issuer_accredited(self, did: str, vct: str, at: int | None = None) -> TrustAnswer:
        return self._trust("/accreditations", {"subject": did, "vct": vct}, ISSUER, at, ())

    def verifier_allowed(
        self, did: str, vct: str, claims: list[str] | tuple[str, ...], at: int | None = None
    ) -> TrustAnswer:
        params = {"subject": did, "vct": vct, "claims": list(claims)}
        return self._trust("/accreditations/verifier", params, VERIFIER, at, tuple(claims))

    def credential_type(self, vct: str) -> ProvenType:
        """The latest registration of ``vct``, and the grant that let its issuer make it (the
        issuer's standing today is ``issuer_accredited``'s question)."""
        answer = self.client.get_json("/credential-types", params={"vct": vct})
        checkpoint, entries = self.proven_entries(answer)
        seq = answer.get("seq")
        tx, accreditation = proven.registered_type(
            entries, seq, governance=self.client.governance(), origin=self.client.origin, vct=vct
        )
        metadata, schema = tx.body["metadata"], tx.body["schema"]
        if (answer.get("metadata"), answer.get("schema"), answer.get("issuer")) != (
            metadata,
            schema,
            tx.signer,
        ):
            raise LEDGER_ANSWER_MISMATCH("the answer differs from the registration it proves")
        return ProvenType(vct, tx.signer, metadata, schema, seq, accreditation, checkpoint)

    def status_list(
        self, uri: str, tree_size: int | None = None, *, now: int | None = None
    ) -> ProvenStatusList:
        """The list at ``uri``: the latest token, or the latest before ``tree_size``. The
        token's signature is checked with the owner's key as it stood at the publish, its
        ``sub`` against ``uri``, its exp/ttl at ``now`` (default: the current time)."""
        params: dict[str, Any] = {"uri": uri}
        if tree_size is not None:
            params["treeSize"] = tree_size
        answer = self.client.get_json("/status-lists", params=params)
        checkpoint, entries = self.proven_entries(answer)
        seq = answer.get("seq")
        as_of = checkpoint.size if tree_size is None else tree_size
        tx, owner = proven.list_entries(
            entries, seq, origin=self.client.origin, uri=uri, as_of=as_of
        )
        if answer.get("owner") != owner:
            raise LEDGER_ANSWER_MISMATCH(
                "the answer names another owner than the list's first publisher"
            )
        token = str(tx.body["token"])
        kid = str(parse_token(token).header.get("kid"))
        if split_key_id(kid)[0] != owner:
            raise LEDGER_ANSWER_MISMATCH("the token is not signed by the list's owner")
        key = self.client.key_at(kid, seq, tx.iat)
        verified = verify_token(
            token, key, expected_sub=uri, now=int(time.time()) if now is None else now
        )
        return ProvenStatusList(uri, owner, seq, verified, checkpoint)
