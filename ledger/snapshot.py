"""State snapshots: the ledger's derived state as of a signed checkpoint, so that opening a
large log loads it and replays only the entries after it, not the whole log.

The log stays the truth. Only a ledger holding its checkpoint key writes a snapshot, and it
signs it: a signed note (the checkpoint key, signed-note format) over the snapshot's origin,
size and the SHA-256 of its body, whose first line names it a snapshot so that it can never
be read as a checkpoint. A snapshot is used only once it is shown to describe this log:

1. the note verifies with the checkpoint key the log's genesis names, for the genesis' origin,
   and the body has the digest it signs (fields the state map does not commit to, such as a
   DID's role and bases, next-key hashes, a grant or type metadata, cannot be altered on disk
   without the key);
2. the checkpoint inside verifies with that key and signs the stored tree's root at its size:
   the snapshot's tree levels are those of the log's own leaf hashes (computed afresh from
   ``log.dat`` at every open) by their digest, and their root is the one signed;
3. the state map rebuilt from it has the root that checkpoint signs;
4. every name's latest entry in the state (each DID's head, each accreditation's grant or
   revocation, each type's and list's latest) is the one the map holds, and nothing else.

Only step 2's hold on the tree needs the log's leaf hashes: start-up checks the rest
(``prepare``) while other processes walk ``log.dat`` for them, then that (``finish``).

The tree's levels above its leaves and the state map's node hashes are kept as written, not
hashed again (at 1M entries, ~1.5M hashes of a start-up): a damaged byte anywhere in them
fails the body's digest (step 1), and only the checkpoint key can sign other ones, a key
which can sign any checkpoint too. Their roots are still held to the signed checkpoint.

Anything else (missing, damaged, truncated, another ledger's, unsigned or signed by another
key) is ignored with its reason and the state rebuilt by replay. But a snapshot this ledger
signed of more entries than the log holds is no damage: it shows acknowledged entries are
gone, and opening refuses (``signed_size``, ``ledger/startup.py``). DID
documents are not in it: they are read back from their log entries.

Format: a magic line, the signed note's length (4 bytes) and the note, then the body: plain
data (tuples, lists, sets, dicts, strings, bytes, ints) pickled, read back by an unpickler that
refuses every class and function, so even a body that passed its signature can only fail to
load, never run code. Pickle, not JSON: it keeps bytes and tuples as they are and loads a
1M-entry state several times faster than ``json`` (which would also need every hash in
base64); ``marshal`` loads no faster and is documented as unsafe on hostile input.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import logging
import os
import pickle
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Protocol

from civicid import statemap
from civicid.accreditation import Grant
from civicid.checkpoint import Checkpoint, NoteSigner, NoteVerifier, open_checkpoint
from civicid.did import DID
from civicid.encoding import b64_decode, b64_encode
from civicid.errors import Error
from civicid.files import open_regular
from civicid.merkle import HASH_SIZE, MerkleTree
from civicid.statemap import StateMap, map_key, map_value, root_in
from civicid.type_metadata import check_metadata
from ledger import answers_file, issuance
from ledger.errors import STATE_SNAPSHOT_INVALID
from ledger.state import (
    Accreditation,
    DidRecord,
    DidVersion,
    ListVersion,
    Revocation,
    State,
    TypeVersion,
)

log = logging.getLogger("civicid.ledger")

FILE: Final = "state.snapshot"
# 3: a status list version carries its revoked and suspended counts.
# 4: the tree's levels (with the digest of the leaves under them) and the state map packed
# with its node hashes. A format-3 snapshot still loads (hashing both as before), and the
# ledger then writes a format-4 one.
FORMAT: Final = 4
MAGIC: Final = b"civicid-state-snapshot 4\n"
FORMATS: Final = {MAGIC: FORMAT, b"civicid-state-snapshot 3\n": 3}
# The signed note's first line: no checkpoint starts with it and has "size N" as its second
# line, so a snapshot's signature can never pass for a checkpoint's (domain separation).
NOTE_HEADER: Final = "civicid-state-snapshot"
NOTE_LENGTH: Final = struct.Struct(">I")
# A note is four short lines and one signature: anything longer is not one of ours.
MAX_NOTE_BYTES: Final = 4096
# A snapshot's head: its magic line, its note's length and the longest note. The note signs
# the body's digest, so the head names the whole snapshot (the body is not read to know it).
HEAD_BYTES: Final = len(MAGIC) + NOTE_LENGTH.size + MAX_NOTE_BYTES
# Opening a log replays at most this many entries past its snapshot before writing a fresh
# one (closing writes one too): start-up stays a load plus a short replay.
REFRESH_AFTER: Final = 10_000
PICKLE_PROTOCOL: Final = 5


class Slot(Protocol):
    """Where a snapshot is kept: a file (a ``Path``), or a row (``ledger.pg_store``)."""

    @property
    def name(self) -> str: ...
    def exists(self) -> bool: ...
    def read_bytes(self) -> bytes: ...


class Row(Slot, Protocol):
    """A slot replaced by one database transaction: the old snapshot or the new, never a mix."""

    def put(self, data: bytes, size: int) -> None: ...


class _PlainData(pickle.Unpickler):
    """Builtin containers and scalars only: a snapshot never names a class or a function."""

    def find_class(self, module: str, name: str) -> Any:
        raise STATE_SNAPSHOT_INVALID(f"a snapshot holds plain data only, not {module}.{name}")


def _latest(state: State) -> Iterator[tuple[str, str, int, bytes]]:
    """(kind, name, seq, leaf hash) of the latest entry about every name the map holds."""
    for did, record in state.dids.items():
        head = record.versions[-1]
        yield statemap.DID, did, head.seq, head.leaf_hash
    for ident, accreditation in state.accreditations.items():
        latest = accreditation.revocation or accreditation
        yield statemap.ACCREDITATION, ident, latest.seq, latest.leaf_hash
    for vct, types in state.credential_types.items():
        yield statemap.TYPE, vct, types[-1].seq, types[-1].leaf_hash
    for uri, lists in state.status_lists.items():
        yield statemap.STATUS_LIST, uri, lists[-1].seq, lists[-1].leaf_hash
    yield from issuance.latest_names(state)  # issuance rules, redemptions


def _fields(obj: Any) -> tuple[Any, ...]:
    """A record's fields in declaration order (its constructor's positional order): a field
    added to the state's records is carried without a change here."""
    return tuple(getattr(obj, field.name) for field in dataclasses.fields(obj))


def _record(record: DidRecord) -> dict[str, Any]:
    """A DID's record but its versions, by field name (role, bases, ...)."""
    return {
        field.name: getattr(record, field.name)
        for field in dataclasses.fields(record)
        if field.name != "versions"
    }


def _body(state: State, size: int, checkpoint: str, tree: MerkleTree) -> dict[str, Any]:
    leaves = tree.leaf_hashes()[: size * HASH_SIZE]
    return {
        "format": FORMAT,
        "size": size,
        "checkpoint": checkpoint,
        "origin": state.origin,
        "governance": state.governance,
        "vkey": state.checkpoint_vkey,
        "dids": [
            (_record(record), [tuple(v) for v in record.versions]) for record in state.dids.values()
        ],
        # A set, read back as one (a list to be made one was ~0.16 s more of a 1M start-up;
        # earlier snapshots hold a list, still read). Copied first, at once: never iterated
        # while the state may change.
        "txIds": set(state.tx_ids),
        "accreditations": [
            (
                a.grant.to_body(),
                a.seq,
                a.leaf_hash,
                a.time,
                None if a.revocation is None else _fields(a.revocation),
            )
            for a in state.accreditations.values()
        ],
        "types": [
            (
                vct,
                [
                    (v.number, v.issuer, v.metadata.document, v.schema, v.seq, v.leaf_hash, v.time)
                    for v in versions
                ],
            )
            for vct, versions in state.credential_types.items()
        ],
        "lists": [
            (uri, [_fields(v) for v in versions]) for uri, versions in state.status_lists.items()
        ],
        "revoked": [(uri, sorted(indexes)) for uri, indexes in state.status_revoked.items()],
        "extensions": state.extensions,
        "tree": (hashlib.sha256(leaves).digest(), tree.upper_levels(size)),
        "map": state.statemap.packed(),
    }


def note_text(origin: str, size: int, digest: bytes) -> str:
    return f"{NOTE_HEADER}\nsize {size}\norigin {origin}\nsha256 {b64_encode(digest)}\n"


def dump(state: State, size: int, checkpoint: str, signer: NoteSigner, tree: MerkleTree) -> bytes:
    """``state`` (as of the first ``size`` entries, which ``checkpoint`` signs) and the
    tree of those entries (``tree``'s first ``size`` leaves) as bytes, signed by ``signer``
    (the ledger's checkpoint key)."""
    if state.origin is None:
        raise STATE_SNAPSHOT_INVALID("a ledger without its genesis has no state to snapshot")
    data = pickle.dumps(_body(state, size, checkpoint, tree), protocol=PICKLE_PROTOCOL)
    note = signer.sign(note_text(state.origin, size, hashlib.sha256(data).digest())).encode()
    return MAGIC + NOTE_LENGTH.pack(len(note)) + note + data


def write(
    path: Path | Row,
    state: State,
    size: int,
    checkpoint: str,
    signer: NoteSigner,
    tree: MerkleTree,
    *,
    answers: bool = True,
) -> None:
    """Replace the snapshot at ``path`` atomically: a crash at any point (kill -9 included)
    leaves the old snapshot or the new one, never a mix."""
    data = dump(state, size, checkpoint, signer, tree)
    if not isinstance(path, Path):
        path.put(data, size)
        return
    temporary = path.with_suffix(".tmp")
    try:
        temporary.unlink(missing_ok=True)  # a leftover keeps its mode; start afresh
        # Private like the log it describes.
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise STATE_SNAPSHOT_INVALID(f"cannot write the snapshot: {exc}") from exc
    if answers:  # derived from it: after it
        answers_file.write_beside(path, state, size, tree.root(size), tree.subtree_path)


def _bytes(path: Slot, *, head: bool = False) -> bytes:
    """The snapshot's bytes; with ``head``, of a file, only as many as its magic line, its
    note's length and the longest note take (the body, 163 MB at 1M entries, is not needed
    to learn the size a snapshot signs)."""
    try:
        if head and isinstance(path, Path):
            with path.open("rb") as file:
                return file.read(HEAD_BYTES)
        return path.read_bytes()
    except OSError as exc:
        raise STATE_SNAPSHOT_INVALID(f"cannot read the snapshot: {exc}") from exc


def _signed(raw: bytes, *, vkey: str, origin: str) -> tuple[int, bytes, int, int]:
    """The size and body digest the snapshot ``raw``'s note signs (by ``vkey``, for
    ``origin``), where its body starts (not yet held to the digest) and the format its magic
    line names."""
    magic = raw[: len(MAGIC)]  # every format's magic line is as long
    start = len(MAGIC) + NOTE_LENGTH.size
    if magic not in FORMATS or len(raw) < start:
        raise STATE_SNAPSHOT_INVALID("the file is not a state snapshot (or is truncated)")
    (length,) = NOTE_LENGTH.unpack_from(raw, len(MAGIC))
    if length > MAX_NOTE_BYTES or len(raw) < start + length:
        raise STATE_SNAPSHOT_INVALID("the snapshot's signed note is damaged or truncated")
    note = raw[start : start + length]
    try:
        text = NoteVerifier(vkey).verify(note)
    except Error as exc:
        raise STATE_SNAPSHOT_INVALID(
            f"the snapshot is not signed by this ledger's checkpoint key: {exc.message}"
        ) from exc
    lines = text.split("\n")
    if len(lines) != 5 or lines[0] != NOTE_HEADER or lines[2] != f"origin {origin}":
        raise STATE_SNAPSHOT_INVALID("the signed note is not a snapshot of this ledger")
    size_line, digest_line = lines[1].removeprefix("size "), lines[3].removeprefix("sha256 ")
    try:
        signed_digest = b64_decode(digest_line)
    except Error as exc:
        raise STATE_SNAPSHOT_INVALID("the snapshot's signed digest is malformed") from exc
    if not size_line.isdigit():
        raise STATE_SNAPSHOT_INVALID("the snapshot's signed size is malformed")
    return int(size_line), signed_digest, start + length, FORMATS[magic]


def check_file(path: Path) -> None:
    """Refuse at once a snapshot path that is no regular file (``state_snapshot_invalid``):
    reading a named pipe would wait for a writer for ever, and the next snapshot's rename
    cannot replace a directory. A link to nothing is a missing snapshot, passed over as a
    deleted one is (said in the log): the state is derived from the log and rebuilt from it,
    and the next snapshot's rename replaces the link itself."""
    if not os.path.lexists(path):
        return
    try:
        os.close(open_regular(path, os.O_RDONLY, STATE_SNAPSHOT_INVALID))
    except FileNotFoundError:  # lexists saw the link; what it names is not there
        log.warning(
            "%s is a link to nothing: passed over as a missing snapshot (the state is "
            "rebuilt from the log; the next snapshot replaces the link)",
            path,
        )


def signed_size(path: Slot, *, vkey: str, origin: str) -> int | None:
    """The log size this ledger (``vkey``, ``origin``) signed a snapshot of, by its note
    alone (None without a snapshot it signed). Only a checkpointed, durable size is ever
    snapshotted, so a log shorter than this lost entries it acknowledged."""
    if not path.exists():
        return None
    try:
        return _signed(_bytes(path, head=True), vkey=vkey, origin=origin)[0]
    except Error:
        return None  # damaged or another key's: it proves nothing (and is not used)


def read(path: Slot, *, vkey: str, origin: str) -> dict[str, Any]:
    """The snapshot's body, once its signature (by ``vkey``, for ``origin``) and digest
    check; ``state_snapshot_invalid`` otherwise. Nothing is unpickled before that. Its
    ``format`` is the one its magic line names (the body, which is signed, says it too)."""
    raw = _bytes(path)
    size, signed_digest, start, version = _signed(raw, vkey=vkey, origin=origin)
    # The body where it lies in what was read: not copied out of it (163 MB at 1M entries).
    with memoryview(raw) as view:
        digest = hashlib.sha256(view[start:]).digest()
    if digest != signed_digest:
        raise STATE_SNAPSHOT_INVALID("the snapshot is damaged: its body is not the one signed")
    stream = io.BytesIO(raw)  # shares ``raw``'s buffer: a bytes object is not copied
    stream.seek(start)
    try:
        body = _PlainData(stream).load()
    except Error:
        raise
    except Exception as exc:  # any unpickling failure: the body is not plain data
        raise STATE_SNAPSHOT_INVALID(f"the snapshot cannot be read: {exc!r}") from exc
    if not isinstance(body, dict) or str(body.get("size")) != str(size):
        raise STATE_SNAPSHOT_INVALID("the snapshot's body is not the one its note describes")
    if body.setdefault("format", 3) != version:  # format 3 did not name itself
        raise STATE_SNAPSHOT_INVALID("the snapshot's body is not of the format it is filed as")
    return body


@dataclasses.dataclass(frozen=True, slots=True)
class Loaded:
    """A snapshot shown to describe the log: its state, its size, the tree of its entries
    and the format it was written in."""

    state: State
    size: int
    tree: MerkleTree  # of the log's first ``size`` entries
    format: int


@dataclasses.dataclass(frozen=True, slots=True)
class Prepared:
    """A snapshot checked as far as it can be without the log's leaf hashes (steps 1, 3 and
    4, and its checkpoint's signature): ``finish`` holds it to them (step 2). Start-up
    prepares it while another process walks ``log.dat`` for those hashes."""

    body: dict[str, Any]
    state: State
    signed: Checkpoint


def load(path: Slot, *, leaves: bytes, vkey: str, origin: str) -> Loaded:
    """The snapshot at ``path`` once shown to describe the log whose leaf hashes (computed
    from the log at this open) are ``leaves`` and whose genesis names checkpoint key ``vkey``
    and ``origin`` (module docstring, steps 1-4)."""
    return finish(prepare(path, vkey=vkey, origin=origin), leaves)


def prepare(path: Slot, *, vkey: str, origin: str) -> Prepared:
    """Steps 1, 3 and 4 of ``load``, and the signature of the checkpoint step 2 holds to
    the log (``finish``)."""
    # 1. Signed by this ledger's checkpoint key; the body is the one signed.
    body = read(path, vkey=vkey, origin=origin)
    with _checked():
        size, note = body["size"], body["checkpoint"]
        # 2 (its first half). Its checkpoint is this ledger's, of the snapshot's size.
        signed = open_checkpoint(note, NoteVerifier(vkey), origin=origin)
        if signed.size != size or size <= 0:
            raise STATE_SNAPSHOT_INVALID(
                f"the snapshot is of {size:,} entries, its checkpoint of {signed.size:,}"
            )
        # 3. The map rebuilt from it is the one the checkpoint signs.
        mapped, held = _map(body)
        if mapped.root != root_in(signed.extensions):
            raise STATE_SNAPSHOT_INVALID("the snapshot's state map is not the signed one")
        state = _state(body, mapped, size)
        # 4. Every name's latest entry in the state is the one the map holds. The map was
        # built from these pairs, so it holds exactly ``held`` (when no key is there twice):
        # one dict look-up per name, not a walk down the map.
        count, mapped_to, key_of = 0, held.get, int.from_bytes  # bound once: 250k names at 1M
        for kind, name, seq, leaf in _latest(state):
            count += 1
            if mapped_to(key_of(map_key(kind, name), "big")) != map_value(leaf, seq):
                raise STATE_SNAPSHOT_INVALID(f"the snapshot's {kind} {name} is not the mapped one")
        if count != mapped.size or len(held) != mapped.size:
            raise STATE_SNAPSHOT_INVALID("the snapshot's state and map name different things")
    return Prepared(body, state, signed)


def finish(prepared: Prepared, leaves: bytes) -> Loaded:
    """Step 2 of ``load``: the snapshot's checkpoint signs the stored tree at its size, the
    log whose leaf hashes are ``leaves``."""
    body, signed = prepared.body, prepared.signed
    with _checked():
        size, held_size = signed.size, len(leaves) // HASH_SIZE
        if size > held_size:
            raise STATE_SNAPSHOT_INVALID(
                f"the snapshot is of {size:,} entries, the log holds {held_size:,}"
            )
        tree = _tree(body, leaves[: size * HASH_SIZE])
        if tree.root(size) != signed.root:
            raise STATE_SNAPSHOT_INVALID("the snapshot's checkpoint does not sign this log")
    return Loaded(prepared.state, size, tree, body["format"])


@contextlib.contextmanager
def _checked() -> Iterator[None]:
    """Whatever fails while a body the key signed is checked: ``state_snapshot_invalid``."""
    try:
        yield
    except Error as exc:
        if STATE_SNAPSHOT_INVALID.matches(exc):
            raise
        raise STATE_SNAPSHOT_INVALID(f"the snapshot does not check: {exc.message}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise STATE_SNAPSHOT_INVALID(f"the snapshot is malformed: {exc!r}") from exc


def _tree(body: dict[str, Any], leaves: bytes) -> MerkleTree:
    """The tree of ``leaves`` (the log's, as of the snapshot's size): its levels as the
    snapshot keeps them once they are shown to stand on these leaves, or (format 3) hashed."""
    if body["format"] < FORMAT:
        return MerkleTree.from_leaf_hashes(leaves)
    digest, levels = body["tree"]
    if hashlib.sha256(leaves).digest() != digest:
        raise STATE_SNAPSHOT_INVALID("the snapshot's tree is not of this log's entries")
    return MerkleTree.from_levels(leaves, levels)


def _map(body: dict[str, Any]) -> tuple[StateMap, dict[int, bytes]]:
    """The state map the snapshot keeps, and what it holds by key (as an int)."""
    if body["format"] < FORMAT:
        pairs = body["map"]
        return StateMap.build(pairs), {int.from_bytes(k, "big"): v for k, v in pairs}
    held: dict[int, bytes] = {}
    shape, keys, values, hashes = body["map"]
    return StateMap.from_packed(shape, keys, values, hashes, held), held


# Where a DID version's fields stand (the snapshot's tuple order), and how many it has.
_NUMBER: Final = DidVersion._fields.index("number")
_SEQ: Final = DidVersion._fields.index("seq")
_NEXT_KEYS: Final = DidVersion._fields.index("next_key_hashes")
_ARITY: Final = len(DidVersion._fields)
# A version made from its tuple with no Python frame of its own (``DidVersion._make`` is one,
# for each of 1M versions at 1M entries): ``_versions`` checks the arity ``_make`` would.
_new_tuple: Final = tuple.__new__


def _without_next_keys(version: Any) -> tuple[Any, ...]:
    return (*version[:_NEXT_KEYS], (), *version[_NEXT_KEYS + 1 :])


def _versions(versions: list[Any], size: int) -> list[DidVersion] | None:
    """A DID's versions as kept, made ``DidVersion``s in one pass: None unless each has
    exactly its fields and they are in order (as ``_in_order`` holds them). Superseded
    versions hold no next-key hashes (``DidRecord.add``), whatever an older snapshot kept."""
    made: list[DidVersion] = []
    previous, last = -1, len(versions)
    for number, version in enumerate(versions, 1):
        if len(version) != _ARITY:
            raise STATE_SNAPSHOT_INVALID(f"a DID version has {len(version)} fields, not {_ARITY}")
        seq = version[_SEQ]
        if version[_NUMBER] != number or not previous < seq < size:
            return None
        previous = seq
        if number < last and version[_NEXT_KEYS]:
            version = _without_next_keys(version)
        made.append(_new_tuple(DidVersion, version))
    return made or None


def _in_order(versions: list[Any], size: int) -> bool:
    """Numbered 1, 2, ... with strictly increasing places, all inside the log's first ``size``."""
    previous = -1
    for number, version in enumerate(versions, 1):
        if version.number != number or not previous < version.seq < size:
            return False
        previous = version.seq
    return bool(versions)


def _state(body: dict[str, Any], mapped: StateMap, size: int) -> State:
    tx_ids = body["txIds"]  # a set as written now, a list by earlier writers
    state = State(
        origin=body["origin"],
        governance=DID(body["governance"]),
        checkpoint_vkey=body["vkey"],
        tx_ids=tx_ids if type(tx_ids) is set else set(tx_ids),
        extensions=dict(body["extensions"]),
        statemap=mapped,
    )
    dids = body["dids"]
    for i, (fields, versions) in enumerate(dids):
        # Each DID's entry in the body is let go as its record is made: the versions' tuples
        # are freed while the records take their place, so the load holds one copy, not two.
        dids[i] = None
        made = _versions(versions, size)
        if made is None:
            raise STATE_SNAPSHOT_INVALID(
                f"the snapshot's versions of {fields['did']} are out of order"
            )
        record = DidRecord(**fields, versions=made)
        state.dids[record.did] = record
    for grant_body, seq, leaf, time, revoked in body["accreditations"]:
        grant = Grant.from_body(grant_body)
        revocation = Revocation(*revoked) if revoked is not None else None
        state.accreditations[grant.id] = Accreditation(grant, seq, leaf, time, revocation)
        state.accreditations_of.setdefault(grant.subject, []).append(grant.id)
    for vct, versions in body["types"]:
        state.credential_types[vct] = [
            TypeVersion(number, DID(issuer), check_metadata(doc, vct), schema, seq, leaf, time)
            for number, issuer, doc, schema, seq, leaf, time in versions
        ]
        if not _in_order(state.credential_types[vct], size):
            raise STATE_SNAPSHOT_INVALID(f"the snapshot's versions of {vct} are out of order")
    for uri, versions in body["lists"]:
        state.status_lists[uri] = [ListVersion(*fields) for fields in versions]
        if not _in_order(state.status_lists[uri], size):
            raise STATE_SNAPSHOT_INVALID(f"the snapshot's versions of {uri} are out of order")
    state.status_revoked = {uri: frozenset(indexes) for uri, indexes in body["revoked"]}
    return state
