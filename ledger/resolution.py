"""DID Resolution (W3C DID Resolution, HTTP(S) binding) over the ledger's state.

Results are plain JSON-ready dicts plus the HTTP status the binding assigns; the serialized
bytes of each result are cached per (selected version, latest version), since versions never
change once logged; a result with proofs per selected version, for the checkpoint served only.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from civicid import statemap
from civicid.did import DID_INVALID, DID_NOT_FOUND, DID_PATTERN, PREFIX
from civicid.errors import Error, NotFound
from civicid.statemap import MapProof, RefusedMap, map_key
from civicid.times import parse_time
from ledger.answers import (
    DOCUMENT_METADATA_KEY,
    b64,
    b64s,
    document_json,
    plain_json,
    transaction_json,
)
from ledger.answers_file import (
    PARTS_SEPARATOR,
    Answers,
    beside,
    open_answers,
    proof_parts_magic,
    proofs_beside,
)
from ledger.errors import DID_METHOD_NOT_SUPPORTED, RESOLUTION_OPTIONS_INVALID
from ledger.inclusion import BLOCK_HEIGHT
from ledger.log import Ledger, View
from ledger.state import DidRecord, DidVersion

CONTENT_TYPE: Final = "application/did-resolution"
ERROR_BASE: Final = "https://www.w3.org/ns/did#"
# Any did:<method>:<id> per DID Core §3.1 syntax, to tell "invalid DID" from "not our method".
DID_SYNTAX: Final = re.compile(
    r"^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*[A-Za-z0-9._-]$"
)
# Rendered results kept, plain (~1.5 KB each) and with proofs (14-16 KB: four entries with
# their inclusion proofs, rendered once per checkpoint rather than per request), in one
# budget: the hot DIDs (the agencies and desks verifiers resolve again and again) answered
# without reading their entries. A 1M-entry ledger serves in ~900 MiB without them and must
# stay under 1 GiB with them full (960 MiB measured after the load). One budget rather than
# 32 MiB each: a kind takes what the other leaves unused (a 20k ledger's 4,500 plain answers
# are 7 MiB, where 32 MiB held half its answers with proofs), and when both are full each
# holds about half, as two bounds of half did (``Budget``).
MAX_KEPT_BYTES: Final = 64 * 1024 * 1024
# The longest query and Accept header (together) whose answer is kept as asked (``Resolver.
# asked``): what clients send (``withProof=true``, a version's id, a media type) is far
# shorter, and a kept answer's key is not counted in the budget, only its body.
MAX_ASKED_KEY_BYTES: Final = 256
# The largest answer kept as asked among the plain ones (~1.5 KB); one with proofs (6 KB for
# a DID of one version, 14-16 KB for four) is kept apart (``MAX_ASKED_PROVEN_BYTES``), as it
# would halve how many plain ones are kept.
MAX_ASKED_BODY_BYTES: Final = 4 * 1024
# Bytes of answers kept as asked (~5,500 plain ones: every DID of a 20k ledger, the hot ones
# of a larger one). Their bodies are the plain answers kept (``MAX_KEPT_BYTES``) while those
# are, so this is at most what they add to memory: a 1M-entry ledger serves in 941-959 MiB
# after the load with that budget full, under 1 GiB with this one full too.
MAX_ASKED_BYTES: Final = 8 * 1024 * 1024
# Bytes of answers with proofs kept as asked, apart (~550 of 14-16 KB: the hot DIDs'), so
# that they do not push the plain ones out of theirs: their bodies are the ones kept with
# proofs while those are, so this too is at most what they add to memory. Asked again, one
# is answered without the query, the DID's record and its versions read again (~7 µs of
# the ~11 µs a kept answer with proofs took in-process, ~60 µs of server CPU in all).
MAX_ASKED_PROVEN_BYTES: Final = 8 * 1024 * 1024
# Inclusion paths' upper parts kept encoded (``Resolver.inclusion_json``): a path is its
# leaf's siblings inside its whole block of ``2**BLOCK_HEIGHT`` leaves, then the block's own
# path, the same for every leaf of the block at that tree size. One per block: 3,900 at 1M
# leaves, ~550 bytes each (~12 hashes in base64), ~2 MiB.
MAX_UPPER_PATHS_KEPT: Final = 4096
# DID Resolution §7.2 names its own error types; ours map to them here, and only here, with
# the HTTP status its HTTP(S) binding gives each. Any other error is the spec's INTERNAL_ERROR.
SPEC_ERRORS: Final[dict[str, tuple[str, int]]] = {
    DID_INVALID.name: ("INVALID_DID", 400),
    DID_METHOD_NOT_SUPPORTED.name: ("METHOD_NOT_SUPPORTED", 501),
    RESOLUTION_OPTIONS_INVALID.name: ("INVALID_OPTIONS", 400),
    DID_NOT_FOUND.name: ("NOT_FOUND", 404),
}


def parse_version_time(text: str) -> int:
    try:
        return parse_time(text)
    except Error as exc:
        raise RESOLUTION_OPTIONS_INVALID("versionTime must be an XML Schema dateTime") from exc


# An answer as the HTTP binding sends it: its status, body and the headers of its head
# (Content-Length and Content-Type, as the framework's ``Response`` writes them).
Sent = tuple[int, bytes, list[tuple[bytes, bytes]]]


@dataclass(frozen=True, slots=True)
class Resolution:
    status: int
    body: bytes
    content_type: str = CONTENT_TYPE

    def __len__(self) -> int:
        """Its body's bytes, as a ``Kept`` counts what it keeps."""
        return len(self.body)

    def sent(self) -> Sent:
        """The answer as sent, its head's headers made once for as long as it is kept."""
        headers = [
            (b"content-length", b"%d" % len(self.body)),
            (b"content-type", self.content_type.encode("latin-1")),
        ]
        return self.status, self.body, headers


def sent_bytes(sent: Sent) -> int:
    """The bytes a ``Kept`` of answers as sent counts for one: its body's."""
    return len(sent[1])


def error_result(error: Error) -> Resolution:
    """A DID Resolution error result for ``error``: the spec's type, our code beside it, and
    the status its HTTP(S) binding gives that type (the status MUST follow the error type):
    any error of ours without a type of its own is INTERNAL_ERROR, 500, even one a proof
    route answers 503 (stored hashes found wrong), whose code says the same here."""
    kind, status = SPEC_ERRORS.get(error.code, ("INTERNAL_ERROR", 500))
    detail = {"type": ERROR_BASE + kind, "title": error.message, "code": error.code}
    metadata: dict[str, Any] = {"error": detail}
    if error.details:  # the proof that the DID is not on the ledger
        metadata["proof"] = error.details
    result = {"didDocument": None, "didResolutionMetadata": metadata, "didDocumentMetadata": {}}
    return Resolution(status, json.dumps(result).encode())


class Budget:
    """One bound in bytes on the answers of several ``Kept``: a put that would pass it lets
    go of the least recently answered of the ``Kept`` holding the most bytes, so that a kind
    takes what the others leave unused, and kinds all full share it about evenly (a pass of
    answers with proofs, ten times the size of plain ones, does not push the plain out)."""

    __slots__ = ("limit", "members", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0  # the bytes of every member's answers
        self.members: list[Kept] = []

    def make_room(self, needed: int) -> None:
        """Let go of answers until ``needed`` more bytes fit (``needed <= limit``)."""
        members = self.members
        while self.size + needed > self.limit:
            max(members, key=_held).let_go()


def _held(kept: Kept) -> int:
    return kept.size


class Kept:
    """Rendered answers (bytes, or a ``Resolution``: what has a length in bytes) by key,
    within their ``Budget`` (their own, of ``limit`` bytes, or one shared), the least
    recently answered let go first: a DID asked again and again (an agency's, a desk's)
    stays kept while a pass over more DIDs than fit goes through, where letting the oldest
    go first made it rendered again once per pass. An ``OrderedDict``, whose oldest is let
    go at once: a dict's first key is found past every key let go before it (each answer
    put into a full one of 21,000 answers over 250,000 DIDs cost ~6 µs, ~1 µs so)."""

    __slots__ = ("answers", "budget", "measure", "size")

    def __init__(self, budget: Budget | int, measure: Callable[[Any], int] = len) -> None:
        self.answers: OrderedDict[Any, Any] = OrderedDict()
        self.budget = budget if isinstance(budget, Budget) else Budget(budget)
        self.budget.members.append(self)
        self.measure = measure  # the bytes an answer counts for
        self.size = 0  # this one's answers' bytes

    @property
    def limit(self) -> int:
        return self.budget.limit

    @limit.setter
    def limit(self, limit: int) -> None:
        self.budget.limit = limit

    def get(self, key: Any) -> Any:
        body = self.answers.get(key)
        if body is not None:
            self.answers.move_to_end(key)  # now the most recently answered
        return body

    def put(self, key: Any, body: Any) -> None:
        budget = self.budget
        size = self.measure(body)
        if key in self.answers or size > budget.limit:
            return
        budget.make_room(size)
        self.answers[key] = body
        self.size += size
        budget.size += size

    def let_go(self) -> None:
        """Let go of the least recently answered."""
        freed = self.measure(self.answers.popitem(last=False)[1])
        self.size -= freed
        self.budget.size -= freed

    def clear(self) -> None:
        self.budget.size -= self.size
        self.answers.clear()
        self.size = 0


class Resolver:
    def __init__(self, ledger: Ledger, *, before: Resolver | None = None) -> None:
        """``before``: the resolver this one replaces, for the same ledger under a newly
        signed note (a mirror's): the answers rendered ahead beside its snapshot are the
        same files, taken over rather than read and checked again (~0.1 s at 18k entries)."""
        self.ledger = ledger
        self.kept = Budget(MAX_KEPT_BYTES)
        # Results by (selected, latest) version's leaf hash: fixed once both are logged.
        self.results = Kept(self.kept)
        # Results with proofs by the selected version's leaf hash, of the checkpoint in
        # ``_proven_for`` (its tree size and note) only.
        self.proven = Kept(self.kept)
        # Plain results read from the answers rendered ahead (``ahead``) when they stay on
        # disk, by the latest version's leaf hash: a DID asked again is answered without its
        # ``pread`` and SHA-256 (at 1M, 4-5 µs of a resolution's ~11). A kind of its own in
        # the budget, so that a pass over many DIDs read so does not push out the results
        # rendered here (each ~30 µs to render again).
        self.read = Kept(self.kept)
        self._proven_for: tuple[int, str] = (-1, "")
        # (tree size, block) -> the block's path, in base64 as an answer writes it.
        self._upper_paths: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._checkpoint_json = b""  # json.dumps of ``_proven_for``'s checkpoint
        # Whole answers as sent (``Sent``) as asked: by the DID as the path spells it, the
        # query's bytes and the Accept header, of the view in ``_asked_of`` only (every
        # answer is fixed by the view it is answered at: its size, checkpoint and map), so a
        # DID asked again is answered without its options, record and versions read again,
        # nor its head's headers made again. Their bodies are mostly the ones kept above:
        # bounds of their own, apart from the budget above, whose shares they would
        # otherwise cut by a third at 1M; the plain (``asked``) apart from those with
        # proofs (``asked_proven``), ten times their size.
        self.asked = Kept(MAX_ASKED_BYTES, sent_bytes)
        self.asked_proven = Kept(MAX_ASKED_PROVEN_BYTES, sent_bytes)
        self._asked_of: View | None = None
        # Plain answers rendered ahead beside the snapshot the ledger opened from, if any,
        # and the parts of answers with proofs fixed once a DID's versions are logged.
        self._opened: tuple[object, int] = _opened(ledger)
        self.ahead: Answers | None
        self.proofs_ahead: Answers | None
        if before is not None and before.ledger is ledger and before._opened == self._opened:
            self.ahead, self.proofs_ahead = before.ahead, before.proofs_ahead
        else:
            self.ahead = answers_beside(ledger)
            self.proofs_ahead = answers_beside(ledger, proofs=True)

    def answered(self, did: str, query: bytes, accepts: str) -> tuple[View, Sent | None]:
        """The view served now, and the answer kept for this ask at it, if any."""
        view = self.ledger.view
        if view is not self._asked_of:  # another view (views are made anew, never changed)
            self.asked.clear()
            self.asked_proven.clear()
            self._asked_of = view
            return view, None
        key = (did, query, accepts)
        kept: Sent | None = self.asked.get(key)
        if kept is None:
            kept = self.asked_proven.get(key)
        return view, kept

    def keep_answered(
        self, view: View, did: str, query: bytes, accepts: str, answer: Resolution
    ) -> Sent:
        """``answer`` as sent, kept for this ask, answered at ``view``, while that view is
        served: answers of a DID found (an error's stay answered anew), of a short query."""
        sent = answer.sent()
        if (
            view is self._asked_of
            and answer.status in (200, 410)
            and len(query) + len(accepts) <= MAX_ASKED_KEY_BYTES
        ):
            kept = self.asked if len(answer.body) <= MAX_ASKED_BODY_BYTES else self.asked_proven
            kept.put((did, query, accepts), sent)
        return sent

    def resolve(
        self,
        did: str,
        *,
        version_id: str | None = None,
        version_time: str | None = None,
        with_proof: bool = False,
        view: View | None = None,
    ) -> Resolution:
        """The result the HTTP binding answers, at ``view`` (by default the one served now):
        a failure is a DID Resolution error result."""
        try:
            return self.lookup(
                did,
                version_id=version_id,
                version_time=version_time,
                with_proof=with_proof,
                view=view,
            )
        except Error as exc:
            return error_result(exc)

    def lookup(
        self,
        did: str,
        *,
        version_id: str | None = None,
        version_time: str | None = None,
        with_proof: bool = False,
        view: View | None = None,
    ) -> Resolution:
        """``resolve``, raising our error instead of answering an error result."""
        # A did:civicid is a DID (DID_SYNTAX matches every string DID_PATTERN matches): only
        # what is not one needs telling apart.
        if not DID_PATTERN.fullmatch(did):
            if not DID_SYNTAX.fullmatch(did):
                raise DID_INVALID("not a DID")
            if not did.startswith(PREFIX):
                raise DID_METHOD_NOT_SUPPORTED("this ledger resolves did:civicid")
            raise DID_INVALID("not a did:civicid identifier")
        if version_id is not None and version_time is not None:
            raise RESOLUTION_OPTIONS_INVALID("versionId and versionTime exclude each other")
        if view is None:
            view = self.ledger.view
        record = self.ledger.state.dids.get(did)  # type: ignore[call-overload]
        try:
            if record is None:
                raise DID_NOT_FOUND(f"{did} is not on this ledger")
            when = parse_version_time(version_time) if version_time is not None else None
            selected, visible = record.select(view.size, version_id=version_id, version_time=when)
        except NotFound as exc:
            if with_proof and view.statemap.get(map_key(statemap.DID, did)) is None:
                self.absence(exc, did, view)
            raise
        except Error as exc:
            raise RESOLUTION_OPTIONS_INVALID(exc.message) from exc
        status = 410 if selected.deactivated else 200
        if with_proof:
            return Resolution(status, self._proven(record, selected, visible, view, did))
        return Resolution(status, self.plain(record, selected, visible))

    def plain(
        self,
        record: DidRecord,
        selected: DidVersion,
        visible: list[DidVersion],
        entry: bytes | None = None,
        *,
        keep: bool = True,
    ) -> bytes:
        """The result without proofs, kept by the selected and the latest version's leaf
        hashes (``entry`` is the selected version's, when it was read already); made and
        not kept with ``keep=False``. The latest version's is read from the answers
        rendered ahead when they hold it (``ledger/answers_file.py``), and kept apart
        (``read``) unless they are held in memory already."""
        key = (selected.leaf_hash, visible[-1].leaf_hash)
        body: bytes | None = self.results.get(key)
        if body is None:
            ahead = self.ahead
            if ahead is not None and key[0] == key[1]:
                leaf_hash, on_disk = key[0], ahead.held is None
                body = self.read.get(leaf_hash) if on_disk else None
                if body is None:
                    body = ahead.get(leaf_hash)
                    if body is not None and keep and on_disk:
                        self.read.put(leaf_hash, body)
                if body is not None:
                    return body
            document = None
            if not selected.deactivated:  # one read of its entry, the document spliced
                if entry is None:
                    entry = self.ledger.entry(selected.seq)
                document = self.document_json(selected, entry)
            body = plain_json(record, selected, visible, document)
            if keep:
                self.results.put(key, body)
        return body

    def document_json(self, version: DidVersion, entry: bytes) -> bytes | None:
        """``json.dumps`` of ``version``'s document as logged in ``entry``, its entry."""
        return document_json(version, entry, self.ledger.document_of)

    def _proven(
        self,
        record: DidRecord,
        selected: DidVersion,
        visible: list[DidVersion],
        view: View,
        did: str,
    ) -> bytes:
        """The result with what a client needs to check it against a checkpoint it verified:
        the selected entry, every version's entry (a client verifies the DID's history from
        its creation: each version's signer had the authority to make it), each with its
        inclusion proof, and the map's proof that the latest version is the latest (no later
        one is withheld). Rendered once per checkpoint: all of it is fixed by the checkpoint,
        so a new one empties the cache and nothing rendered against an older one is answered."""
        if isinstance(view.statemap, RefusedMap):  # no proof served, none kept either
            raise view.statemap.error
        served = (view.size, view.checkpoint)
        if served != self._proven_for:
            self.proven.clear()
            self._checkpoint_json = json.dumps(view.checkpoint).encode()
            self._proven_for = served
        key = selected.leaf_hash  # the checkpoint fixes which versions follow it
        kept: bytes | None = self.proven.get(key)
        if kept is not None:
            return kept
        size = view.size
        versions = self.parts_ahead(visible, size)
        selected_entry = None
        if versions is None:
            read = self.ledger.entry
            # Each version's parts, in order: version n at n - 1 (``DidRecord`` numbers them so).
            versions = []
            for version in visible:
                entry = read(version.seq)
                if version.number == selected.number:
                    selected_entry = entry
                versions.append(self.entry_parts(version.seq, size, entry))
        # The result with its proof is the plain one (kept, so its document is not read and
        # spliced again; or made, not kept: a pass of answers with proofs would fill the
        # budget's plain share too) with "proof" last in its resolution metadata: that
        # object closes just before the document metadata's key, which nothing in the
        # document metadata after it can spell (its keys are ours; its strings' quotes are
        # escaped).
        plain = self.plain(record, selected, visible, selected_entry, keep=False)
        closed = plain.rindex(DOCUMENT_METADATA_KEY) - 1  # its resolution metadata's "}"
        # The bytes json.dumps makes of the result with its proof (key order and separators
        # alike; tests hold them equal), joined from parts at once: json.dumps of the ~14 KB
        # whole was a quarter of a first resolution's CPU, most of it scanning the entries;
        # and an entry put in its version's JSON, then in the list of versions, then in the
        # body was copied three times, where one join of every part copies it once.
        parts = [
            plain[:closed],
            b"" if plain[closed - 1 : closed] == b"{" else b", ",  # after contentType
            b'"proof": {"checkpoint": ',
            self._checkpoint_json,
            b', "treeSize": %d, ' % size,
            *versions[selected.number - 1],  # its "seq", "transaction" and "inclusion"
            b', "versions": [{',
        ]
        for number, version_parts in enumerate(versions, 1):
            if number > 1:
                parts.append(b"}, {")
            parts += version_parts
        parts += (
            b'}], "stateMap": {"did:%s": ' % did.encode(),  # a did:civicid: JSON-safe
            map_proof_json(view.statemap.prove(map_key(statemap.DID, did))),
            b"}}",
            plain[closed:],
        )
        body = b"".join(parts)
        self.proven.put(key, body)
        return body

    @staticmethod
    def absence(error: Error, did: str, view: View) -> None:
        """Attach the proof that the checkpoint's state map holds nothing for ``did``."""
        proof = view.statemap.prove(map_key(statemap.DID, did)).to_json()
        error.details.update(
            checkpoint=view.checkpoint, treeSize=view.size, stateMap={f"did:{did}": proof}
        )

    def parts_ahead(self, visible: list[DidVersion], size: int) -> list[tuple[bytes, ...]] | None:
        """``entry_parts`` of each of ``visible`` at ``size`` from the proof parts rendered
        ahead (``answers_file.proof_parts``: every version's but the part of its path above
        its block), if they hold the DID at its latest version and each version's block is
        whole at ``size`` (a view older than the snapshot may not hold it whole); else None.
        No entry read, no path below a block walked or encoded."""
        ahead = self.proofs_ahead
        if ahead is None:
            return None
        stored = ahead.get(visible[-1].leaf_hash)
        if stored is None:
            return None
        heads = stored.split(PARTS_SEPARATOR)
        height = BLOCK_HEIGHT
        if len(heads) != len(visible) or any(
            ((version.seq >> height) + 1) << height > size for version in visible
        ):
            return None
        upper = self.upper_json
        found: list[tuple[bytes, ...]] = []
        for head, version in zip(heads, visible, strict=True):
            above = upper(version.seq, size)
            found.append((head, b", ", above, b"]") if above else (head, b"]"))
        return found

    def entry_parts(self, seq: int, size: int, entry: bytes) -> tuple[bytes, ...]:
        """The parts of ``"seq": .., "transaction": .., "inclusion": [..]`` of entry ``seq``
        with its inclusion proof at ``size``, as json.dumps writes them in a version's
        object (without its braces): the entry itself one part, copied once into the body."""
        return (*transaction_json(seq, entry), self.inclusion_json(seq, size), b"]")

    def inclusion_json(self, seq: int, size: int) -> bytes:
        """Entry ``seq``'s inclusion path at ``size`` as an answer writes it (``b64s``): the
        part above its block, when the block is whole at that size, encoded once per size
        and block (a first answer with proofs encoded ~80 hashes, ~50 of them so kept); with
        that part kept, only the leaf's siblings inside its block are read from the tree
        (``_proven`` has checked that the view's proofs may be served)."""
        height = BLOCK_HEIGHT
        if ((seq >> height) + 1) << height > size:
            return b64s(self.ledger.inclusion_proof(seq, size))
        upper = self._upper_paths.get((size, seq >> height))
        if upper is not None:
            below = b64s(self.ledger.tree.subtree_path(seq, height))
            return below + b", " + upper if upper else below
        path = self.ledger.inclusion_proof(seq, size)
        upper = self.keep_upper(seq, size, path[height:])
        below = b64s(path[:height])
        return below + b", " + upper if upper else below

    def upper_json(self, seq: int, size: int) -> bytes:
        """The part of entry ``seq``'s inclusion path at ``size`` above its block, whole at
        that size, as an answer writes it (empty when the block is the whole tree)."""
        upper = self._upper_paths.get((size, seq >> BLOCK_HEIGHT))
        if upper is None:
            upper = self.keep_upper(
                seq, size, self.ledger.inclusion_proof(seq, size)[BLOCK_HEIGHT:]
            )
        return upper

    def keep_upper(self, seq: int, size: int, above: list[bytes]) -> bytes:
        """``above`` (the part of entry ``seq``'s path at ``size`` above its block) encoded,
        kept for every leaf of that block at that size."""
        kept = self._upper_paths
        upper = kept[(size, seq >> BLOCK_HEIGHT)] = b64s(above)
        if len(kept) > MAX_UPPER_PATHS_KEPT:
            kept.popitem(last=False)
        return upper


def _opened(ledger: Ledger) -> tuple[object, int]:
    """The snapshot ``ledger`` opened from, which the answers rendered ahead belong to."""
    return ledger.snapshot_path, ledger.snapshot_size


def answers_beside(ledger: Ledger, *, proofs: bool = False) -> Answers | None:
    """The answers rendered ahead of the snapshot ``ledger`` opened from, if they are that
    snapshot's (``open_answers`` says why not in the log); with ``proofs``, its proof parts
    (held in memory, or none)."""
    path, size = ledger.snapshot_path, ledger.snapshot_size
    if not isinstance(path, Path):  # a database's snapshot: none kept beside it
        return None
    try:
        root = ledger.tree.root(size) if size else None
    except Error:
        root = None
    if proofs:
        magic = proof_parts_magic(BLOCK_HEIGHT)
        return open_answers(proofs_beside(path), size, root, magic, held_only=True)
    return open_answers(beside(path), size, root)


def map_proof_json(proof: MapProof) -> bytes:
    """``json.dumps(proof.to_json())``, written straight from the proof's hashes."""
    if proof.leaf is None:
        leaf = b"null"
    else:
        key, value = proof.leaf
        leaf = b'{"key": "%s", "value": "%s"}' % (
            b64(key, newline=False),
            b64(value, newline=False),
        )
    return b'{"siblings": [%s], "leaf": %s}' % (b64s(proof.siblings), leaf)
