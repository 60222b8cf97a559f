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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

from civicid import proven, statemap, wire
from civicid.accreditation import ISSUER, VERIFIER, Grant, Standing, judge
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
from civicid.statemap import MAP_PROOF_MALFORMED, map_key, map_value, root_in, verify_map
from civicid.status_list import parse_token, verify_token
from civicid.status_uri import base_urls, check_bound, normalize_uri
from civicid.times import Clock

R = TypeVar("R")


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

    def in_turn(self, read: Callable[[], R]) -> R: ...


def check_latest(
    answer: Any, checkpoint: Checkpoint, kind: str, name: str, entry: tuple[int, bytes] | None
) -> None:
    """The answer's state map proof shows ``entry`` (its seq and leaf hash) is the latest
    about ``<kind>:<name>`` (None: that nothing is), under the map root ``checkpoint`` signs."""
    try:
        found = answer["stateMap"][f"{kind}:{name}"]
    except (KeyError, TypeError) as exc:
        raise LEDGER_ANSWER_MISMATCH(f"no state map proof for {kind}:{name}") from exc
    proof = wire.MapProof.from_json(found, error=MAP_PROOF_MALFORMED).to_proof()
    value = None if entry is None else map_value(entry[1], entry[0])
    verify_map(root_in(checkpoint.extensions), map_key(kind, name), value, proof)


@dataclass(frozen=True, slots=True)
class ProvenGrants:
    """Everything a standing of ``subject`` as ``kind`` for ``vct`` is judged from, proven as
    of ``checkpoint``: its grants with their revocation times (each grant proven the latest
    entry about it: no revocation withheld) and its DID's deactivation time."""

    subject: str
    kind: str
    vct: str
    pairs: tuple[tuple[Grant, int | None], ...]  # (grant, revoked at)
    deactivated_at: int | None
    checkpoint: Checkpoint
    # The last standing judged from these grants, with the time and claims it was judged
    # for: one answer serves every issuance of a second, which asks it twice (an offer and a
    # credential request, ~10 µs a judgement). One entry, so a verifier judging many
    # credentials' times against one answer keeps nothing more; an answer read afresh is a
    # new object, judged anew.
    _last: tuple[int, tuple[str, ...], Standing] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def standing(self, at: int, claims: tuple[str, ...] = ()) -> Standing:
        """The standing at ``at``, by the rule the ledger applies (``accreditation.judge``):
        the same grants judged at the same time for the same claims give the same standing,
        judged once."""
        last = self._last  # read once: another thread may replace it meanwhile
        if last is not None and last[0] == at and last[1] == claims:
            return last[2]
        standing = judge(
            self.subject,
            self.kind,
            self.pairs,
            at,
            vct=self.vct,
            claims=claims,
            deactivated_at=self.deactivated_at,
        )
        # Frozen: the memo is the one field set after construction, whole, in one store.
        object.__setattr__(self, "_last", (at, claims, standing))
        return standing

    @property
    def granted(self) -> tuple[Grant, ...]:
        return tuple(grant for grant, _ in self.pairs)

    def in_force(self, at: int) -> tuple[Grant, ...]:
        """The grants of ``subject`` as ``kind`` for ``vct`` in force at ``at``: none once the
        subject's DID is deactivated. A grant of another subject or kind never counts, even
        if one reached ``pairs`` (``grants`` refuses such an answer; ``judge`` skips them too,
        and this keeps both readings of the same grants alike)."""
        if self.deactivated_at is not None and self.deactivated_at <= at:
            return ()
        return tuple(
            grant
            for grant, revoked_at in self.pairs
            if grant.subject == self.subject
            and grant.kind == self.kind
            and self.vct in grant.credential_types
            and grant.in_force(at, revoked_at)
        )

    def claims_allowed(self, at: int) -> frozenset[str]:
        """The claims of ``vct`` the subject (a desk) may ask for at ``at``: those of its
        grants in force then."""
        allowed: frozenset[str] = frozenset()
        for grant in self.in_force(at):
            allowed |= grant.claims_for(self.vct)
        return allowed


PATHS: Final = {ISSUER: "/accreditations", VERIFIER: "/accreditations/verifier"}


class RegistryClient:
    def __init__(self, client: ProvingReader) -> None:
        self.client = client

    def proven_entries(self, answer: Any) -> tuple[Checkpoint, list[ProvenEntry]]:
        """Accept the answer's checkpoint; prove each entry's inclusion, and its signature with
        its signer's key as the signer's verified history had it when the entry was logged."""
        client = self.client
        parsed = wire.Proven.from_json(answer, error=LEDGER_ANSWER_MALFORMED)
        checkpoint = client.accept_checkpoint(parsed.checkpoint)
        if parsed.tree_size != checkpoint.size:
            raise LEDGER_ANSWER_MISMATCH("treeSize is not the checkpoint's size")
        entries = []
        for item in parsed.entries:
            entry = client.proven(item, checkpoint)
            if entry.tx.ledger != client.origin:
                raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq} is for another ledger")
            client.verify_signature(entry)
            entries.append(ProvenEntry(entry.seq, entry.tx, entry.leaf_hash))
        return checkpoint, entries

    # -- trust ----------------------------------------------------------------------------

    def grants(
        self, kind: str, subject: str, vct: str, when: int, claims: tuple[str, ...] = ()
    ) -> ProvenGrants:
        """``subject``'s grants of ``kind`` for ``vct``, proven as of the ledger's answer for
        ``when``: every grant is governance's, about ``subject`` and of ``kind``, and the
        latest entry about itself (state map); the subject's deactivation is read from its
        verified history; the ledger's own verdict for ``when`` (and ``claims``) must be the
        one these give."""
        params: dict[str, Any] = {"subject": subject, "vct": vct}
        if kind == VERIFIER:
            params["claims"] = list(claims)
        answer = self.client.get_json(PATHS[kind], params={**params, "at": when})
        checkpoint, entries = self.proven_entries(answer)
        found = proven.governance_grants(entries, self.client.governance(), self.client.origin)
        latest = proven.latest_about(entries)
        for _, grant, _ in found:
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
        if found:
            head = self.client.chain(subject, covering=checkpoint.size).latest
            ended = head.time if head.deactivated else None
        pairs = tuple(
            (grant, min((t for _, t in revocations), default=None))
            for _, grant, revocations in found
        )
        result = ProvenGrants(subject, kind, vct, pairs, ended, checkpoint)
        standing = result.standing(when, claims)
        claimed = (answer.get("accredited"), answer.get("accreditation"))
        if claimed != (standing.accredited, standing.accreditation):
            raise LEDGER_ANSWER_MISMATCH("the ledger's verdict differs from its proven entries")
        return result

    def granted_subjects(self, kind: str, vct: str, when: int) -> tuple[str, ...]:
        """Who holds a grant of ``kind`` covering ``vct`` by the ledger's list for ``when``
        (candidates only: each is believed through ``grants``, which proves nothing newer
        about its grants was withheld)."""
        answer = self.client.get_json(PATHS[ISSUER], {"at": when})
        _, entries = self.proven_entries(answer)
        found = proven.governance_grants(entries, self.client.governance(), self.client.origin)
        return tuple(
            dict.fromkeys(
                grant.subject
                for _, grant, _ in found
                if grant.kind == kind and vct in grant.credential_types
            )
        )

    def issuer_accredited(self, did: str, vct: str, at: int | None = None) -> TrustAnswer:
        when = self.client.clock() if at is None else at
        grants = self.grants(ISSUER, did, vct, when)
        return TrustAnswer(grants.standing(when), grants.granted, grants.checkpoint)

    def verifier_allowed(
        self, did: str, vct: str, claims: list[str] | tuple[str, ...], at: int | None = None
    ) -> TrustAnswer:
        when = self.client.clock() if at is None else at
        grants = self.grants(VERIFIER, did, vct, when, tuple(claims))
        return TrustAnswer(grants.standing(when, tuple(claims)), grants.granted, grants.checkpoint)

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
