"""The page's numbers are the log's: every body, accreditation, type and count the page shows
equals what a replay of the log computes here, independently (each entry parsed, each status
list token counted), and the counts over time equal the replay at every publish."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, parse_token
from civicid.transaction import Transaction
from ledger.transparency.tally import Tally
from tests.ledger.conftest import World
from tests.ledger.trust import publish, token
from tests.transparency.stories import BENEFITS_LIST, populate


@dataclass
class Replay:
    """What the log says, computed from its entries alone."""

    bodies: dict[str, str] = field(default_factory=dict)  # did -> role
    grants: dict[str, str] = field(default_factory=dict)  # id -> subject
    revoked_grants: set[str] = field(default_factory=set)
    types: dict[str, str] = field(default_factory=dict)  # vct -> issuer
    # per owner, per list: (places, revoked, suspended) of its latest version
    lists: dict[str, dict[str, tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # per owner: (time, lists, places, revoked, suspended) after each of its publishes
    history: dict[str, list[tuple[int, int, int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def totals(self, owner: str) -> tuple[int, int, int, int]:
        lists = self.lists[owner].values()
        return (
            len(lists),
            sum(p for p, _, _ in lists),
            sum(r for _, r, _ in lists),
            sum(s for _, _, s in lists),
        )


def replay(world: World) -> Replay:
    found = Replay()
    for _, leaf in world.ledger.entries():
        entry = Transaction.parse(leaf)
        if entry.type == tx.GENESIS:
            found.bodies[entry.signer] = "governance"
        elif entry.type == tx.DID_CREATE:
            found.bodies[entry.body["did"]] = entry.body["role"]
        elif entry.type == tx.ACCREDITATION_GRANT:
            found.grants[entry.body["accreditation"]] = entry.body["subject"]
        elif entry.type == tx.ACCREDITATION_REVOKE:
            found.revoked_grants.add(entry.body["accreditation"])
        elif entry.type == tx.CREDENTIAL_TYPE:
            found.types[entry.body["vct"]] = entry.signer
        elif entry.type == tx.STATUS_LIST:
            status_list = parse_token(entry.body["token"]).status_list
            found.lists[entry.signer][entry.body["uri"]] = (
                status_list.size,
                status_list.count(STATUS_INVALID),
                status_list.count(STATUS_SUSPENDED),
            )
            found.history[entry.signer].append((entry.iat, *found.totals(entry.signer)))
    return found


def shown_counts(html: str) -> dict[str, tuple[int, int, int, int]]:
    """Per agency DID: the (lists, places, revoked, suspended) its chart's caption shows."""
    counts = {}
    for block in html.split('<figure class="chart" data-agency="')[1:]:
        did = block.split('"', 1)[0]
        caption = block.split("</figcaption>")[0]
        values = dict(re.findall(r'data-count="(\w+)">([\d,]+)<', caption))  # "131,072"
        counts[did] = tuple(
            int(values[k].replace(",", "")) for k in ("lists", "places", "revoked", "suspended")
        )
    return counts  # type: ignore[return-value]


def test_the_page_shows_what_a_replay_of_the_log_computes(world: World, http: TestClient) -> None:
    cast = populate(world)
    # A revoked accreditation, and a list version that suspends more, among the rest.
    grant = world.ledger.state.accreditations_of[cast.benefits.did][0]
    world.submit_as(world.governance, tx.ACCREDITATION_REVOKE, revocation_body(grant, "audit"))
    world.clock.now += 3600
    publish(world, cast.benefits, BENEFITS_LIST, token(
        cast.benefits, BENEFITS_LIST, now=world.clock.now, revoked=(0, 1, 2, 3), suspended=(8, 9),
    ))  # fmt: skip
    found = replay(world)
    html = http.get("/transparency").text

    assert set(re.findall(r'<tr data-did="([^"]+)"', html)) == set(found.bodies)
    assert set(re.findall(r'<tr data-accreditation="([^"]+)"', html)) == set(found.grants)
    for ident in found.revoked_grants:
        row = html.split(f'data-accreditation="{ident}"')[1].split("</tr>")[0]
        assert "status-revoked" in row
    assert set(re.findall(r'<article class="type" data-vct="([^"]+)"', html)) == set(found.types)

    shown = shown_counts(html)
    owners = set(found.lists)
    assert owners == {cast.registry.did, cast.benefits.did}
    for owner in owners:
        assert shown[owner] == found.totals(owner), owner
    everyone = tuple(sum(found.totals(o)[i] for o in owners) for i in range(4))
    assert shown[""] == everyone
    checkpoint = re.search(r'id="cp-size">(\d+)<', html)
    assert checkpoint is not None and int(checkpoint.group(1)) == world.ledger.size

    # Over time: after every publish, the tally's counts are the replay's.
    tally = http.app.state.transparency.tally  # type: ignore[attr-defined]
    for owner, history in found.history.items():
        series = tally.series[owner]
        assert len(series.times) == len(history)
        for i, (_, lists, places, revoked, suspended) in enumerate(history):
            at = series.times[i]
            assert series.lists[i] == lists and series.places[i] == places
            assert (series.revoked[i], series.suspended[i]) == (revoked, suspended)
            if i + 1 == len(history) or series.times[i + 1] > at:
                got = series.at(at)
                assert (got.lists, got.places, got.revoked, got.suspended) == history[i][1:]


def test_the_counts_follow_the_log_as_it_grows(world: World, http: TestClient) -> None:
    """Entries logged after a page was served are in the next page: the tally advances."""
    cast = populate(world, days=2)
    before = shown_counts(http.get("/transparency").text)[cast.benefits.did]
    world.clock.now += 60
    publish(world, cast.benefits, BENEFITS_LIST, token(
        cast.benefits, BENEFITS_LIST, now=world.clock.now, revoked=(0, 1, 2, 3, 4), suspended=(7,),
    ))  # fmt: skip
    after = shown_counts(http.get("/transparency").text)[cast.benefits.did]
    assert before != after
    assert after == replay(world).totals(cast.benefits.did) == (1, after[1], 5, 1)


def test_a_page_reads_no_more_of_the_log_than_what_is_new(
    world: World, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counts are kept, not replayed: once the page has taken the log in, a render reads
    one entry (the newest, for its time), whatever the log's size."""
    cast = populate(world, days=6)
    http.get("/transparency")
    read = world.ledger.store.read
    reads: list[int] = []

    def counting(seq: int) -> bytes:
        reads.append(seq)
        return read(seq)

    monkeypatch.setattr(world.ledger.store, "read", counting)
    taken: list[str] = []
    take = Tally._take
    monkeypatch.setattr(
        Tally, "_take", lambda self, uri, v: (taken.append(uri), take(self, uri, v))
    )
    http.get("/transparency")
    assert reads == [world.ledger.size - 1] and taken == []
    world.clock.now += 60
    publish(world, cast.benefits, BENEFITS_LIST, token(
        cast.benefits, BENEFITS_LIST, now=world.clock.now, revoked=(0, 1, 2), suspended=(),
    ))  # fmt: skip
    reads.clear()
    http.get("/transparency")
    assert reads == [world.ledger.size - 1] and taken == [BENEFITS_LIST]
