"""The ledger client's governance questions: is issuer X accredited for type Y at T, may
verifier V ask for claims C, what is type Y, what does status list U say.

Every answer is re-derived from the entries it rests on: each proven included in a checkpoint
the client accepted, and its signature checked with the signer's key as the signer's DID stood
when the entry was logged (the ledger operator who signs checkpoints cannot forge governance
or an issuer). The state map proofs in the answer show that each entry is the latest about
its name (no revocation or newer version withheld), or that nothing exists. The ledger's own
verdict is only compared against the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol

from civicid import proven, statemap
from civicid.accreditation import ISSUER, VERIFIER, Grant, judge
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
from civicid.statemap import MapProof, map_key, map_value, root_in, verify_map
from civicid.status_list import parse_token, verify_token
from civicid.status_uri import base_urls, check_bound, normalize_uri
from civicid.times import Clock

# Verified trust inputs (grants, revocation and deactivation times) are reused for this long
# before the ledger is asked again: a revocation reaches a caching verifier within this time,
# as a status list reaches it within its ttl. Off by default: every answer is then as of the
# ledger's latest checkpoint.
DEFAULT_TRUST_TTL: Final = 0
# Distinct (kind, subject, vct, claims) questions kept; a desk asks about few issuers.
MAX_CACHED_QUESTIONS: Final = 4096


class ProvingReader(Protocol):
    """What the registry questions need from a ledger client (``LedgerClient`` is one)."""

    origin: str
    clock: Clock

    def accept_checkpoint(self, note: str) -> Checkpoint: ...

    def get_json(
        self, path: str, params: dict[str, Any], *, absent: tuple[str, str] | None = None
    ) -> Any: ...

    def proven(self, item: Any, checkpoint: Checkpoint) -> Entry: ...

    def verify_signature(self, entry: Entry) -> None: ...

    def chain(self, did: str, *, covering: int = 0) -> Chain: ...

    def governance(self) -> DID: ...

    def key_at(self, kid: str, seq: int, iat: int | None = None) -> PublicKey: ...


def check_latest(
    answer: Any, checkpoint: Checkpoint, kind: str, name: str, entry: tuple[int, bytes] | None
) -> None:
    """The answer's state map proof shows ``entry`` (its seq and leaf hash) is the latest
    about ``<kind>:<name>`` (None: that nothing is), under the map root ``checkpoint`` signs."""
    try:
        proof = MapProof.from_json(answer["stateMap"][f"{kind}:{name}"])
    except (KeyError, TypeError) as exc:
        raise LEDGER_ANSWER_MISMATCH(f"no state map proof for {kind}:{name}") from exc
    value = None if entry is None else map_value(entry[1], entry[0])
    verify_map(root_in(checkpoint.extensions), map_key(kind, name), value, proof)


@dataclass(frozen=True, slots=True)
class TrustInputs:
    """What a trust verdict is judged from, verified as of ``checkpoint``."""

    pairs: tuple[tuple[Grant, int | None], ...]  # (grant, revoked at)
    deactivated_at: int | None
    checkpoint: Checkpoint
    fetched: int  # the client's clock when they were verified


class RegistryClient:
    def __init__(self, client: ProvingReader, *, trust_ttl: int = DEFAULT_TRUST_TTL) -> None:
        self.client = client
        self.trust_ttl = trust_ttl
        self._trust_cache: dict[tuple[str, str, str, tuple[str, ...]], TrustInputs] = {}

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
            client.verify_signature(entry)
            entries.append(ProvenEntry(entry.seq, entry.tx, entry.leaf_hash))
        return checkpoint, entries

    # -- trust ----------------------------------------------------------------------------

    def _trust_inputs(
        self, path: str, params: dict[str, Any], kind: str, when: int
    ) -> tuple[TrustInputs, Any]:
        answer = self.client.get_json(path, params={**params, "at": when})
        checkpoint, entries = self.proven_entries(answer)
        subject = params["subject"]
        grants = proven.governance_grants(entries, self.client.governance(), self.client.origin)
        latest = proven.latest_about(entries)
        for _, grant, _ in grants:
            if grant.subject != subject or grant.kind != kind:
                raise LEDGER_ANSWER_MISMATCH("the answer rests on another subject's grant")
            # Nothing newer about this grant (a revocation) is withheld.
            newest = latest[grant.id]
            check_latest(
                answer, checkpoint, statemap.ACCREDITATION, grant.id, (newest.seq, newest.leaf_hash)
            )
        # A deactivated subject's grants stop counting from its deactivation: read from its
        # history, verified (and proven the latest) as of this answer's checkpoint.
        ended = None
        if grants:
            head = self.client.chain(subject, covering=checkpoint.size).latest
            ended = head.time if head.deactivated else None
        pairs = tuple(
            (grant, min((t for _, t in revocations), default=None))
            for _, grant, revocations in grants
        )
        return TrustInputs(pairs, ended, checkpoint, self.client.clock()), answer

    def _trust(
        self, path: str, params: dict[str, Any], kind: str, at: int | None, claims: tuple[str, ...]
    ) -> TrustAnswer:
        now = self.client.clock()
        when = now if at is None else at
        subject, vct = params["subject"], params["vct"]
        key = (kind, subject, vct, claims)
        cached = self._trust_cache.get(key)
        if cached is not None and now - cached.fetched < self.trust_ttl:
            inputs, answer = cached, None
        else:
            inputs, answer = self._trust_inputs(path, params, kind, when)
            if len(self._trust_cache) >= MAX_CACHED_QUESTIONS:
                self._trust_cache.clear()
            self._trust_cache[key] = inputs
        standing = judge(
            subject,
            kind,
            inputs.pairs,
            when,
            vct=vct,
            claims=claims,
            deactivated_at=inputs.deactivated_at,
        )
        if answer is not None:
            claimed = (answer.get("accredited"), answer.get("accreditation"))
            if claimed != (standing.accredited, standing.accreditation):
                raise LEDGER_ANSWER_MISMATCH("the ledger's verdict differs from its proven entries")
        grants = tuple(grant for grant, _ in inputs.pairs)
        return TrustAnswer(standing, grants, inputs.checkpoint)

    def issuer_accredited(self, did: str, vct: str, at: int | None = None) -> TrustAnswer:
        return self._trust("/accreditations", {"subject": did, "vct": vct}, ISSUER, at, ())

    def verifier_allowed(
        self, did: str, vct: str, claims: list[str] | tuple[str, ...], at: int | None = None
    ) -> TrustAnswer:
        params = {"subject": did, "vct": vct, "claims": list(claims)}
        return self._trust("/accreditations/verifier", params, VERIFIER, at, tuple(claims))

    # -- credential types and status lists ------------------------------------------------

    def _answer(
        self, path: str, params: dict[str, Any], kind: str, name: str
    ) -> tuple[Any, Checkpoint, list[ProvenEntry]]:
        """The answer for ``<kind>:<name>`` and its proven entries; a "not found" only with
        the proof that the state map holds nothing for the name."""
        answer = self.client.get_json(path, params=params, absent=(kind, name))
        checkpoint, entries = self.proven_entries(answer)
        return answer, checkpoint, entries

    def credential_type(self, vct: str) -> ProvenType:
        """The latest registration of ``vct``, and the grant that let its issuer make it (the
        issuer's standing today is ``issuer_accredited``'s question)."""
        answer, checkpoint, entries = self._answer(
            "/credential-types", {"vct": vct}, statemap.TYPE, vct
        )
        seq = answer.get("seq")
        tx, accreditation = proven.registered_type(
            entries, seq, governance=self.client.governance(), origin=self.client.origin, vct=vct
        )
        registration = next(e for e in entries if e.seq == seq)
        check_latest(
            answer, checkpoint, statemap.TYPE, vct, (registration.seq, registration.leaf_hash)
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
        """The list at ``uri``: the latest token (proven the latest), or the latest before
        ``tree_size``. The token's signature is checked with the owner's key as it stood at
        the publish, its ``sub`` against ``uri``, its exp/ttl at ``now`` (default: the
        client's clock)."""
        uri = normalize_uri(uri)  # one list, one spelling (civicid/status_uri.py)
        params: dict[str, Any] = {"uri": uri}
        if tree_size is not None:
            params["treeSize"] = tree_size
        answer, checkpoint, entries = self._answer(
            "/status-lists", params, statemap.STATUS_LIST, uri
        )
        seq = answer.get("seq")
        as_of = checkpoint.size if tree_size is None else tree_size
        tx, owner = proven.list_entries(
            entries, seq, origin=self.client.origin, uri=uri, as_of=as_of
        )
        if tree_size is None:  # no newer list withheld
            latest = next(e for e in entries if e.seq == seq)
            check_latest(
                answer, checkpoint, statemap.STATUS_LIST, uri, (latest.seq, latest.leaf_hash)
            )
        if answer.get("owner") != owner:
            raise LEDGER_ANSWER_MISMATCH(
                "the answer names another owner than the list's first publisher"
            )
        token = str(tx.body["token"])
        kid = str(parse_token(token).header.get("kid"))
        if split_key_id(kid)[0] != owner:
            raise LEDGER_ANSWER_MISMATCH("the token is not signed by the list's owner")
        # The URI lies under a base URL the owner's endorsed first document names.
        first = self.client.chain(owner, covering=checkpoint.size).versions[0].document
        check_bound(uri, base_urls(first.data if first is not None else {}))
        key = self.client.key_at(kid, seq)
        verified = verify_token(
            token, key, expected_sub=uri, now=self.client.clock() if now is None else now
        )
        return ProvenStatusList(uri, owner, seq, verified, checkpoint)
