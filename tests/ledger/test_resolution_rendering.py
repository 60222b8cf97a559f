"""Resolution's answers written from templates and logged bytes are the bytes ``json.dumps``
makes of the result as a dict: the document spliced from its entry, the metadata, the map
proof and the times, each held to the encoder it stands in for."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from civicid import statemap
from civicid.encoding import b64_encode, canonical_json
from civicid.statemap import MapProof, map_key
from civicid.times import MAX_TIMESTAMP, rfc3339
from ledger import state
from ledger.answers import iso
from ledger.resolution import Resolver, map_proof_json
from ledger.state import DidRecord, DidVersion, logged_document, logged_document_json
from tests.ledger.conftest import World

DID = "did:civicid:" + "a" * 32
HEADER = b64_encode(b'{"alg":"ES256"}').encode()


def entry(payload: bytes) -> bytes:
    """A JWS-shaped entry with ``payload`` (base64url, unpadded, as a JWS writes it)."""
    encoded = b64_encode(payload).replace("+", "-").replace("/", "_").rstrip("=").encode()
    return HEADER + b"." + encoded + b".c2ln"


def logged(document: Any, **body: Any) -> bytes:
    """An entry as this ledger logs a DID version: RFC 8785 payload, the DID first."""
    return entry(canonical_json({"body": {"did": DID, "document": document, **body}, "iat": 1}))


DOCUMENTS: dict[str, Any] = {
    "keys and services": {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": DID,
        "service": [{"id": "#s", "serviceEndpoint": "https://a.example/x,y:z", "type": "S"}],
    },
    "separators and quotes' places in strings": {
        "a,": "b:",
        ",:": [",", ":", ", ", ": ", '","', '":"', "}", "]", "{[", ""],
    },
    "literals and empties": {"t": True, "f": False, "n": None, "o": {}, "l": [], "d": [{}, []]},
    "empty": {},
    "non-ASCII": {"name": "Agence de l'État", "emoji": "\U0001f600"},
    "escapes": {"q": 'a"b', "b": "a\\b", "nl": "a\nb", "ctl": "\x01\x7f", "sl": "a/b"},
    "an escaped quote before a colon": {"k": 'x":'},
    "an escaped quote before a comma": {"l": ['a",', "x"]},
    "integers": {"i": 1, "n": -2, "z": 0, "big": 2**53 - 1},
    "floats RFC 8785 and Python spell apart": {"f": 1.5, "tiny": 1e-7, "huge": 1e21},
    "nested deep": {"a": [[[[{"b": [[]]}]]]]},
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_a_logged_document_is_answered_as_json_dumps_writes_it(name: str) -> None:
    document = DOCUMENTS[name]
    for body in ({}, {"nextKeyHashes": ["h"], "prev": "1-ab"}, {"endorsement": "e.f.g"}):
        written = logged(document, **body)
        read = logged_document(written)  # keys in the order logged (RFC 8785 sorts them)
        assert read == document
        assert logged_document_json(written) == json.dumps(read).encode(), (name, body)


@pytest.mark.parametrize(
    "payload",
    [
        # Not as RFC 8785 writes it: spaced, keys out of order, a key between did and document.
        json.dumps({"body": {"did": DID, "document": {"a": "b,c:d"}}}).encode(),
        b'{"body":{"document":{"a":"b"},"did":"' + DID.encode() + b'"}}',
        b'{"body":{"did":"' + DID.encode() + b'","dida":1,"document":{"a":"b:c"}}}',
        b'{"body":{"did":"' + DID.encode() + b'","document":{"a": "b,c" ,"d":[1, 2]}}}',
        # A DID with an escape before the document: read in full.
        b'{"body":{"did":"did:x\\",\\"document\\":{}","document":{"a":"b:c"}}}',
        b'{"body":{"did":"\xc3\xa9","document":{"a":"b:c"}}}',
    ],
)
def test_a_payload_not_as_logged_is_answered_as_its_full_read_gives(payload: bytes) -> None:
    written = entry(payload)
    assert logged_document_json(written) == json.dumps(logged_document(written)).encode()


@pytest.mark.parametrize(
    "written",
    [
        b"not a jws",
        HEADER + b".e30",
        HEADER + b".!!!.c2ln",
        entry(b'{"body":{}}'),
        entry(b'{"body":{"did":"' + DID.encode() + b'","document":3}}'),
        entry(b'{"body":{"did":"' + DID.encode() + b'","document":[1]}}'),
        entry(b'{"body":{"did":"' + DID.encode() + b'","document":{"a":}}}'),
        entry(b'{"body":{"did":"' + DID.encode() + b'","document":'),
        entry(b"[1]"),
    ],
)
def test_what_holds_no_document_is_none_as_the_full_read_says(written: bytes) -> None:
    assert logged_document(written) is None
    assert logged_document_json(written) is None


def test_spaced_runs_kept_stay_within_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "_spaced", state._Spaced())
    for depth in range(1, state.MAX_SPACED_RUNS + 50):
        document = {"a": [[]] * 2 + [[[]] * depth]}
        assert logged_document_json(logged(document)) == json.dumps(document).encode()
    assert len(state._spaced) == state.MAX_SPACED_RUNS
    assert state._spaced[b"],["] == b"], ["


def test_every_logged_document_of_a_ledger_is_answered_as_json_dumps_writes_it(
    world: World,
) -> None:
    agency = world.register("agency", prerotate=True)
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    world.register("service-desk")
    spliced = 0
    for record in world.ledger.state.dids.values():
        for version in record.versions:
            written = world.ledger.entry(version.seq)
            assert logged_document_json(written) == json.dumps(logged_document(written)).encode()
            spliced += 1
    assert spliced >= 4


def test_times_are_written_as_rfc3339_writes_them() -> None:
    rng = random.Random(7)  # noqa: S311  # seeded: a failure replays
    times = [0, 1, 59, 951_782_400, 951_868_799, 2**31 - 1, 2**31, 4_102_444_800, MAX_TIMESTAMP]
    times += [rng.randrange(MAX_TIMESTAMP) for _ in range(2_000)]
    for ts in times:
        assert iso(ts) == rfc3339(ts), ts


def test_map_proofs_are_written_as_json_dumps_writes_them() -> None:
    key, value = bytes(range(32)), bytes(range(32, 64))
    siblings = (b"\xff" * 32, bytes(32), b"\xfb\xef" * 16)
    for proof in [
        MapProof((), None),
        MapProof((), (key, value)),
        MapProof(siblings, None),
        MapProof(siblings, (key, value)),
        MapProof(siblings[:1], (value, key)),
    ]:
        assert map_proof_json(proof) == json.dumps(proof.to_json()).encode(), proof


def reference(
    record: DidRecord,
    selected: DidVersion,
    visible: list[DidVersion],
    document: dict[str, Any] | None,
) -> dict[str, Any]:
    """The result as a dict, as resolution built it before it wrote it from templates."""
    first = visible[0]
    meta: dict[str, Any] = {
        "created": rfc3339(first.time),
        "versionId": selected.version_id,
        "versionTime": rfc3339(selected.time),
        "ledger": {
            "seq": selected.seq,
            "leafHash": selected.leaf_hash.hex(),
            "role": record.role,
        },
    }
    if selected.number > 1:
        meta["updated"] = rfc3339(selected.time)
    if selected.number < len(visible):
        following = visible[selected.number]
        meta["nextVersionId"] = following.version_id
        meta["nextUpdate"] = rfc3339(following.time)
    if selected.deactivated:
        meta["deactivated"] = True
    return {
        "didDocument": document,
        "didResolutionMetadata": {"contentType": "application/did"} if document else {},
        "didDocumentMetadata": meta,
    }


def test_answers_are_the_bytes_json_dumps_makes_of_the_result(world: World) -> None:
    agency = world.register()
    world.clock.now += 60
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    world.clock.now += 60
    gone = world.register("service-desk")
    world.clock.now += 60
    world.ledger.submit(
        gone.deactivate_tx(world.head(gone), ledger=world.origin, now=world.clock.now)
    )
    ledger = world.ledger
    view = ledger.view
    asks: list[tuple[str, dict[str, str]]] = [
        (agency.did, {}),
        (agency.did, {"version_id": "1"}),
        (agency.did, {"version_time": rfc3339(world.clock.now - 150)}),
        (gone.did, {}),
        (gone.did, {"version_id": "1"}),
        (world.governance.did, {}),
    ]
    checked = 0
    for did, options in asks:
        record = ledger.state.dids[did]  # type: ignore[index]
        time = options.get("version_time")
        selected, visible = record.select(
            view.size,
            version_id=options.get("version_id"),
            version_time=None if time is None else int(world.clock.now - 150),
        )
        expected = reference(record, selected, visible, ledger.document_of(selected))
        # A first answer, then kept; with proofs after the plain one (made from it, kept) and
        # before it (made from one not kept).
        for proofs_first in (False, True):
            resolver = Resolver(ledger)
            for _ in range(2):
                if proofs_first:
                    proven = resolver.resolve(did, with_proof=True, **options)  # type: ignore[arg-type]
                plain = resolver.resolve(did, **options)  # type: ignore[arg-type]
                assert plain.body == json.dumps(expected).encode(), (did, options)
                if not proofs_first:
                    proven = resolver.resolve(did, with_proof=True, **options)  # type: ignore[arg-type]
                assert proven.body == json.dumps(json.loads(proven.body)).encode()
                answer = json.loads(proven.body)
                proof = answer["didResolutionMetadata"].pop("proof")
                assert answer == expected, (did, options)
                assert proof["stateMap"] == {
                    f"did:{did}": view.statemap.prove(map_key(statemap.DID, did)).to_json()
                }
                assert proof["checkpoint"] == view.checkpoint and proof["treeSize"] == view.size
                checked += 1
    assert checked == 4 * len(asks)


def test_an_answer_with_proofs_is_the_plain_one_kept_with_its_proof(world: World) -> None:
    """The document is read and spliced once for both kinds: an answer with proofs is made
    from the plain one kept (and does not keep one of its own: the budget's plain share is
    the plain answers')."""
    agency = world.register()
    resolver = Resolver(world.ledger)
    reads: list[int] = []
    read = resolver.document_json

    def counted(version: DidVersion, entry: bytes) -> bytes | None:
        reads.append(version.seq)
        return read(version, entry)

    resolver.document_json = counted  # type: ignore[method-assign]
    proven = resolver.resolve(agency.did, with_proof=True).body
    assert len(reads) == 1 and not resolver.results.answers  # made, not kept
    resolver.proven.clear()
    plain = resolver.resolve(agency.did).body
    assert len(reads) == 2 and list(resolver.results.answers.values()) == [plain]
    assert resolver.resolve(agency.did, with_proof=True).body == proven
    assert len(reads) == 2  # taken from the plain answer kept
    answer = json.loads(proven)
    answer["didResolutionMetadata"].pop("proof")
    assert json.dumps(answer).encode() == plain
