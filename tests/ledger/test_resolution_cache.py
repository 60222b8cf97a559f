"""Resolution's fast path: the app's direct answer is the framework route's, byte for byte;
answers kept rendered are never older than a fresh one (a DID updated, a new checkpoint); the
cache of answers with proofs stays within its bound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicid.checkpoint import NoteVerifier, open_checkpoint
from civicid.encoding import b64_decode, b64_encode
from civicid.merkle import leaf_hash, verify_inclusion
from ledger import resolution
from ledger.app import create_app
from ledger.log import View
from ledger.resolution import Resolver
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with TestClient(app) as client:
        yield client


def framework_only(http: TestClient) -> TestClient:
    """A client of the same app under a root path, which the direct answer leaves to the
    framework's route."""
    return TestClient(http.app, root_path="/under")


def proof_of(body: dict[str, Any], world: World) -> dict[str, Any]:
    """The body's proof, each of its versions' inclusion proofs checked against its
    checkpoint; the checkpoint's size is returned beside it as ``size``."""
    proof = body["didResolutionMetadata"]["proof"]
    checkpoint = open_checkpoint(proof["checkpoint"], NoteVerifier(world.genesis.vkey))
    assert proof["treeSize"] == checkpoint.size
    for version in proof["versions"]:
        verify_inclusion(
            leaf_hash(version["transaction"].encode()),
            version["seq"],
            checkpoint.size,
            [b64_decode(h) for h in version["inclusion"]],
            checkpoint.root,
        )
    return {**proof, "size": checkpoint.size}


def test_the_direct_answer_is_the_framework_routes(
    world: World, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    gone = world.register()
    world.ledger.submit(
        gone.deactivate_tx(world.head(gone), ledger=world.origin, now=world.clock.now)
    )
    direct: list[str] = []
    found = resolution_routes.direct

    def counted(scope: Any) -> Any:
        direct.append(scope["path"])
        return found(scope)

    monkeypatch.setattr(resolution_routes, "direct", counted)
    framework = framework_only(http)
    asks: list[tuple[str, dict[str, str], dict[str, str]]] = [
        (agency.did, {}, {}),
        (agency.did, {"withProof": "true"}, {}),
        (agency.did, {"versionId": "1", "withProof": "1"}, {}),
        (agency.did, {"versionId": "1"}, {"accept": "application/did+json"}),
        (agency.did, {"versionTime": "yesterday"}, {}),
        (agency.did, {"versionId": "x" * (resolution_routes.MAX_OPTION_CHARS + 1)}, {}),
        (gone.did, {"withProof": "true"}, {}),
        (gone.did, {}, {"accept": "application/did"}),
        ("did:civicid:" + "a" * 32, {"withProof": "true"}, {}),
        ("did:web:example.com", {}, {}),
        ("not-a-did", {}, {}),
        ("", {}, {}),
        (agency.did + "/more", {}, {}),
        (agency.did, {"withProof": ""}, {}),
        (agency.did, {"withProof": "TRUE", "versionId": "1"}, {"accept": "application/json"}),
    ]
    for did, params, headers in asks:
        path = f"/1.0/identifiers/{did}"
        fast = http.get(path, params=params, headers=headers)
        slow = framework.get(path, params=params, headers=headers)
        assert (fast.status_code, fast.content) == (slow.status_code, slow.content), (did, params)
        assert fast.headers["content-type"] == slow.headers["content-type"]
        assert fast.headers["content-length"] == slow.headers["content-length"]
    repeated = f"/1.0/identifiers/{agency.did}?withProof=false&withProof=true&versionId="
    fast, slow = http.get(repeated), framework.get(repeated)
    assert (fast.status_code, fast.content) == (slow.status_code, slow.content)
    assert len(direct) == len(asks) + 1  # every fast one was the direct answer, no slow one was


def test_a_failing_direct_answer_is_the_frameworks_internal_error(
    world: World, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = world.register()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Resolver, "resolve", broken)
    answer = TestClient(http.app, raise_server_exceptions=False).get(
        f"/1.0/identifiers/{agency.did}"
    )
    assert answer.status_code == 500 and answer.json()["error"] == "internal_error"


def test_an_updated_did_is_answered_at_its_new_version_with_proofs_at_the_new_size(
    world: World, http: TestClient
) -> None:
    agency = world.register()
    path = f"/1.0/identifiers/{agency.did}"
    first, proven = http.get(path).json(), http.get(path, params={"withProof": "true"}).json()
    assert first == http.get(path).json()  # answered again, from the cache
    assert proven == http.get(path, params={"withProof": "true"}).json()
    before = proof_of(proven, world)
    world.clock.now += 60
    successor, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    latest = http.get(path).json()
    assert latest["didDocument"] == successor.document != first["didDocument"]
    assert latest["didDocumentMetadata"]["versionId"] == world.head(agency)
    proven = http.get(path, params={"withProof": "true"}).json()
    after = proof_of(proven, world)
    assert proven["didDocument"] == successor.document
    assert after["size"] == world.ledger.size > before["size"]
    assert len(after["versions"]) == 2 and after["seq"] == after["versions"][-1]["seq"]
    old = http.get(path, params={"versionId": "1"}).json()
    assert old["didDocumentMetadata"]["nextVersionId"] == world.head(agency)


def test_a_new_checkpoint_renders_proofs_against_it(world: World, http: TestClient) -> None:
    """Another DID's entry moves the tree: the unchanged DID's proofs are of the new size."""
    agency = world.register()
    path = f"/1.0/identifiers/{agency.did}"
    before = proof_of(http.get(path, params={"withProof": "true"}).json(), world)
    world.register()
    after = proof_of(http.get(path, params={"withProof": "true"}).json(), world)
    assert after["size"] == world.ledger.size > before["size"]
    assert after["checkpoint"] == world.ledger.view.checkpoint != before["checkpoint"]
    assert after["inclusion"] != before["inclusion"]


def test_answers_with_proofs_are_the_bytes_json_makes(world: World) -> None:
    agency = world.register()
    _, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    gone = world.register()
    world.ledger.submit(
        gone.deactivate_tx(world.head(gone), ledger=world.origin, now=world.clock.now)
    )
    resolver = Resolver(world.ledger)
    for did, options in [
        (agency.did, {}),
        (agency.did, {"version_id": "1"}),
        (gone.did, {}),
        (world.governance.did, {}),
    ]:
        body = resolver.resolve(did, with_proof=True, **options).body
        assert body == json.dumps(json.loads(body)).encode(), (did, options)
    size = world.ledger.size
    for entry in (b'not "a" jws\\', b"", b"a.b.c"):
        made = b"{" + b"".join(resolver.entry_parts(0, size, entry)) + b"}"
        assert json.loads(made)["transaction"] == entry.decode()
        assert made == json.dumps(json.loads(made)).encode()


@pytest.mark.parametrize("kept, with_proof", [("proven", True), ("results", False)])
def test_the_rendered_answers_kept_stay_within_their_bound(
    world: World, monkeypatch: pytest.MonkeyPatch, kept: str, with_proof: bool
) -> None:
    bound = "MAX_KEPT_BYTES"
    dids = [world.register().did for _ in range(4)]
    sizes = [len(Resolver(world.ledger).resolve(did, with_proof=with_proof).body) for did in dids]
    limit = max(sizes) * 2 + min(sizes) // 2  # two answers fit, never three
    monkeypatch.setattr(resolution, bound, limit)
    resolver = Resolver(world.ledger)
    cache: resolution.Kept = getattr(resolver, kept)
    for _ in range(2):
        for did in dids:
            answer = json.loads(resolver.resolve(did, with_proof=with_proof).body)
            assert answer["didDocument"]["id"] == did
            assert sum(map(len, cache.answers.values())) == cache.size <= limit
            assert 1 <= len(cache.answers) <= 2
    last = json.loads(list(cache.answers.values())[-1])
    assert last["didDocument"]["id"] == dids[-1]  # the newest kept, the oldest let go
    monkeypatch.setattr(resolution, bound, min(sizes) - 1)
    resolver = Resolver(world.ledger)
    assert json.loads(resolver.resolve(dids[0], with_proof=with_proof).body)["didDocument"]
    assert not getattr(resolver, kept).answers  # larger than the bound: not kept


def test_both_kinds_of_answer_share_one_bound(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain answers and answers with proofs are kept within one bound: either takes what the
    other leaves unused, and a put into a full one lets go of the kind holding more bytes."""
    dids = [world.register().did for _ in range(6)]
    probe = Resolver(world.ledger)
    proven_size = max(len(probe.resolve(did, with_proof=True).body) for did in dids)
    plain_size = max(len(probe.resolve(did).body) for did in dids)
    assert proven_size > 3 * plain_size
    # Room for the first three DIDs' answers with proofs and half the first's plain answer
    # (each DID's proofs are its own size: a state-map path's length follows its key).
    first_three = sum(len(probe.resolve(did, with_proof=True).body) for did in dids[:3])
    limit = first_three + len(probe.resolve(dids[0]).body) // 2
    monkeypatch.setattr(resolution, "MAX_KEPT_BYTES", limit)
    resolver = Resolver(world.ledger)
    assert resolver.results.budget is resolver.proven.budget is resolver.kept
    for did in dids[:3]:  # three with proofs fill it: no plain answer kept, none asked
        resolver.resolve(did, with_proof=True)
    assert len(resolver.proven.answers) == 3 and resolver.proven.size > 2 * proven_size
    resolver.resolve(dids[0])  # the kind holding more lets go: the oldest with proofs
    assert len(resolver.results.answers) == 1 and len(resolver.proven.answers) == 2
    oldest = next(iter(resolver.proven.answers.values()))
    assert json.loads(oldest)["didDocument"]["id"] == dids[1]
    for did in dids:  # plain answers take the room the proofs left, then their own
        resolver.resolve(did)
        assert resolver.results.size + resolver.proven.size == resolver.kept.size <= limit
    assert len(resolver.results.answers) == len(dids)
    assert resolver.proven.size + resolver.results.size == resolver.kept.size
    resolver.proven.clear()  # a new checkpoint: its bytes are free again
    assert (
        resolver.kept.size
        == resolver.results.size
        == sum(map(len, resolver.results.answers.values()))
    )


def test_a_cosigned_checkpoint_of_the_same_size_is_the_one_proofs_are_against(
    world: World, http: TestClient
) -> None:
    """A view served anew at the same size (its note with more cosignatures) is what an
    answer with proofs names from then on; the plain answer, which names no checkpoint, stays."""
    agency = world.register()
    path = f"/1.0/identifiers/{agency.did}"
    plain = http.get(path).content
    before = http.get(path, params={"withProof": "true"}).json()
    view = world.ledger.view
    assert before["didResolutionMetadata"]["proof"]["checkpoint"] == view.checkpoint
    cosigned = view.checkpoint + "\u2014 witness.example AAAA\n"
    world.ledger.serve(View(view.size, cosigned, view.statemap))
    after = http.get(path, params={"withProof": "true"}).json()
    assert after["didResolutionMetadata"]["proof"]["checkpoint"] == cosigned
    del after["didResolutionMetadata"]["proof"]["checkpoint"]
    del before["didResolutionMetadata"]["proof"]["checkpoint"]
    assert after == before  # the same size: the same entries and proofs
    assert http.get(path).content == plain


@pytest.mark.parametrize("kept", ["proven", "results"])
def test_an_answer_asked_again_is_kept_over_those_asked_once(world: World, kept: str) -> None:
    """The least recently answered is let go first: a DID asked between others stays kept
    while more DIDs than fit pass through."""
    hot = world.register().did
    others = [world.register().did for _ in range(6)]
    resolver = Resolver(world.ledger)
    with_proof = kept == "proven"
    cache: resolution.Kept = getattr(resolver, kept)
    first = resolver.resolve(hot, with_proof=with_proof).body
    cache.limit = cache.size * 3 + cache.size // 2  # three answers fit, never four
    for did in others:
        resolver.resolve(did, with_proof=with_proof)
        assert first in cache.answers.values()  # never let go, so never rendered again
        assert resolver.resolve(hot, with_proof=with_proof).body == first
        assert len(cache.answers) <= 3
    assert list(cache.answers.values())[-1] == first  # the most recently answered
    kept_dids = [json.loads(body)["didDocument"]["id"] for body in cache.answers.values()]
    assert kept_dids == [others[-2], others[-1], hot]


def test_a_querys_options_are_read_once_and_kept_read_only() -> None:
    query = b"withProof=true&versionId=&withProof=false"
    chosen = resolution_routes.options(query)
    assert dict(chosen) == {"withProof": "false", "versionId": ""}  # the last wins, blanks kept
    assert resolution_routes.options(query) is chosen
    with pytest.raises(TypeError):
        chosen["withProof"] = "true"  # type: ignore[index]
    assert resolution_routes.options(b"") == {}
    assert resolution_routes.options.cache_info().maxsize == resolution_routes.MAX_QUERIES_KEPT


def test_an_ask_repeated_at_the_same_view_is_answered_as_kept(world: World) -> None:
    """The whole answer to a DID asked again with the same query and Accept is the one kept
    for the view served; another view (a new checkpoint) lets every one of them go."""
    agency = world.register()
    resolver = Resolver(world.ledger)
    query, accepts = b"versionId=1", "application/json"
    first = resolution_routes.answer(resolver, agency.did, query, accepts)
    assert first == resolution_routes.answer(resolver, agency.did, query, accepts)
    assert list(resolver.asked.answers) == [(agency.did, query, accepts)]
    marked = resolution.Resolution(200, b"kept", "text/plain").sent()
    resolver.asked.answers[(agency.did, query, accepts)] = marked
    assert resolution_routes.answer(resolver, agency.did, query, accepts) == (
        200,
        b"kept",
        [(b"content-length", b"4"), (b"content-type", b"text/plain")],
    )  # answered as kept, not anew
    world.register()  # a new checkpoint
    fresh = resolution_routes.answer(resolver, agency.did, query, accepts)
    assert fresh == first and fresh[1] != b"kept"  # answered anew, as it was
    assert list(resolver.asked.answers) == [(agency.did, query, accepts)]
    proven = resolution_routes.answer(resolver, agency.did, b"withProof=true", accepts)
    assert proof_of(json.loads(proven[1]), world)["size"] == world.ledger.size
    assert len(proven[1]) > resolution.MAX_ASKED_BODY_BYTES  # kept apart from the plain ones
    assert list(resolver.asked.answers) == [(agency.did, query, accepts)]
    assert list(resolver.asked_proven.answers) == [(agency.did, b"withProof=true", accepts)]
    assert resolution_routes.answer(resolver, agency.did, b"withProof=true", accepts) is proven
    assert resolver.asked_proven.size == len(proven[1])  # its body's bytes, not the tuple's
    assert resolver.kept.size == resolver.results.size + resolver.proven.size
    assert resolver.asked.budget is not resolver.kept  # a bound of its own
    assert resolver.asked.limit == resolution.MAX_ASKED_BYTES
    assert resolver.asked_proven.budget not in (resolver.kept, resolver.asked.budget)
    assert resolver.asked_proven.limit == resolution.MAX_ASKED_PROVEN_BYTES
    world.register()  # another view lets the answers with proofs go too
    assert resolver.answered(agency.did, b"withProof=true", accepts)[1] is None
    assert not resolver.asked_proven.answers and resolver.asked_proven.size == 0


def test_only_answers_of_a_did_found_asked_shortly_are_kept_as_asked(world: World) -> None:
    agency = world.register()
    resolver = Resolver(world.ledger)
    missing = "did:civicid:" + "a" * 32
    assert resolution_routes.answer(resolver, missing, b"", "")[0] == 404
    assert resolution_routes.answer(resolver, "did:web:example.org", b"", "")[0] == 501
    assert resolution_routes.answer(resolver, agency.did, b"versionId=9", "")[0] == 404
    assert not resolver.asked.answers  # errors are answered anew each time
    long = b"x=" + b"y" * (resolution.MAX_ASKED_KEY_BYTES - 1)  # one byte past it
    assert resolution_routes.answer(resolver, agency.did, long, "")[0] == 200
    assert resolution_routes.answer(resolver, agency.did, long[:-1], "")[0] == 200
    assert list(resolver.asked.answers) == [(agency.did, long[:-1], "")]
    gone = world.register()
    world.ledger.submit(
        gone.deactivate_tx(world.head(gone), ledger=world.origin, now=world.clock.now)
    )
    assert resolution_routes.answer(resolver, gone.did, b"", "")[0] == 410
    assert (gone.did, b"", "") in resolver.asked.answers  # a deactivated DID's answer is
    # as fixed by the view as an active one's


def test_an_answer_made_at_a_view_no_longer_served_is_not_kept_as_asked(world: World) -> None:
    agency = world.register()
    resolver = Resolver(world.ledger)
    view, kept = resolver.answered(agency.did, b"", "")
    assert kept is None and view is world.ledger.view
    answer = resolver.resolve(agency.did, view=view)
    world.register()  # served from now on: another view
    assert resolver.answered(agency.did, b"", "") == (world.ledger.view, None)
    resolver.keep_answered(view, agency.did, b"", "", answer)
    assert not resolver.asked.answers


def test_inclusion_paths_kept_per_block_are_each_leafs_own_path(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each version's inclusion path in an answer with proofs is the tree's path of its
    leaf at the checkpoint's size, though the part above its block is encoded once per
    size and block (blocks of 4 leaves here, so that a small ledger has whole ones)."""
    monkeypatch.setattr(resolution, "BLOCK_HEIGHT", 2)
    resolver = Resolver(world.ledger)
    whole_paths: list[tuple[int, int]] = []  # (size, block) of each whole path asked for
    prove = world.ledger.inclusion_proof

    def counted(seq: int, size: int | None = None) -> list[bytes]:
        assert size is not None
        if ((seq >> 2) + 1) << 2 <= size:  # in a whole block
            whole_paths.append((size, seq >> 2))
        return prove(seq, size)

    monkeypatch.setattr(world.ledger, "inclusion_proof", counted)
    sizes = []
    for round_ in range(2):  # a larger tree: other sizes, other paths
        for _ in range(5):
            who = world.register()
            world.clock.now += 60
            _, update = who.rotate(world.head(who), ledger=world.origin, now=world.clock.now)
            world.ledger.submit(update)
        size = world.ledger.size
        checked = 0
        for did in sorted(world.ledger.state.dids):
            proof = json.loads(resolver.resolve(did, with_proof=True).body)
            proof = proof["didResolutionMetadata"]["proof"]
            assert proof["treeSize"] == size
            for version in [proof, *proof["versions"]]:
                expected = world.ledger.tree.inclusion_proof(version["seq"], size)
                assert version["inclusion"] == [b64_encode(h) for h in expected], round_
                checked += 1
        assert checked == sum(1 + len(r.versions) for r in world.ledger.state.dids.values())
        sizes.append(size)
    assert {at for at, _ in resolver._upper_paths} == set(sizes)  # kept, and used
    # A whole block's path made whole once per size: then only the siblings in its block.
    assert whole_paths and len(whole_paths) == len(set(whole_paths))
