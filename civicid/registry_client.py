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

from typing import Any, Protocol

from civicid import proven
from civicid.accreditation import ISSUER, VERIFIER
from civicid.authority import Chain, Entry
from civicid.checkpoint import Checkpoint
from civicid.did import DID, split_key_id
from civicid.jose import PublicKey
from civicid.proven import (
    LEDGER_ANSWER_MALFORMED,
    LEDGER_ANSWER_MISMATCH,
    ProvenEntry,
    ProvenStatusList,
    ProvenType,
    TrustAnswer,
)
from civicid.status_list import parse_token, verify_token
from civicid.times import Clock


class ProvingReader(Protocol):
    """What the registry questions need from a ledger client (``LedgerClient`` is one)."""

    origin: str
    clock: Clock

    def accept_checkpoint(self, note: str) -> Checkpoint: ...

    def get_json(self, path: str, params: dict[str, Any]) -> Any: ...

    def proven(self, item: Any, checkpoint: Checkpoint) -> Entry: ...

    def key_at(self, kid: str, seq: int, iat: int | None = None) -> PublicKey: ...

    def chain(self, did: str, *, covering: int = 0) -> Chain: ...

    def governance(self) -> DID: ...


class RegistryClient:
    def __init__(self, client: ProvingReader) -> None:
        self.client = client

    def proven_entries(self, answer: Any) -> tuple[Checkpoint, list[ProvenEntry]]:
        """Accept the answer's checkpoint; prove each entry's inclusion, and its signature with
        its signer's key as the signer's verified history had it when the entry was logged."""
        client = self.client
        try:
            checkpoint = client.accept_checkpoint(str(answer["checkpoint"]))
            if answer["treeSize"] != checkpoint.size:
                raise LEDGER_ANSWER_MISMATCH("treeSize is not the checkpoint's size")
            items = list(answer["entries"])
        except (KeyError, TypeError, ValueError) as exc:
            raise LEDGER_ANSWER_MALFORMED(f"unreadable answer: {exc!r}") from exc
        entries = []
        for item in items:
            entry = client.proven(item, checkpoint)
            if entry.tx.ledger != client.origin:
                raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq} is for another ledger")
            # Governance and issuers sign with assertionMethod keys (ledger/governance.py).
            entry.tx.jws.verify_with(client.key_at(entry.tx.kid, entry.seq))
            entries.append(ProvenEntry(entry.seq, entry.tx))
        return checkpoint, entries

    def _trust(
        self, path: str, params: dict[str, Any], kind: str, at: int | None, claims: tuple[str, ...]
    ) -> TrustAnswer:
        when = self.client.clock() if at is None else at
        answer = self.client.get_json(path, params={**params, "at": when})
        checkpoint, entries = self.proven_entries(answer)
        subject = params["subject"]
        # A deactivated subject's grants stop counting from its deactivation: read from its
        # history, verified as of this answer's checkpoint.
        ended = None
        if entries:
            latest = self.client.chain(subject, covering=checkpoint.size).latest
            ended = latest.time if latest.deactivated else None
        standing, grants = proven.standing(
            entries,
            governance=self.client.governance(),
            origin=self.client.origin,
            subject=subject,
            kind=kind,
            at=when,
            vct=params["vct"],
            claims=claims,
            deactivated_at=ended,
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
        key = self.client.key_at(kid, seq)
        verified = verify_token(
            token, key, expected_sub=uri, now=self.client.clock() if now is None else now
        )
        return ProvenStatusList(uri, owner, seq, verified, checkpoint)
