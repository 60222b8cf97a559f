"""``GET /evidence`` answers a page at a time: every piece may hold two signed notes of up
to 128 KB, and a witness keeps up to a thousand, so one answer of all of them could be
hundreds of megabytes. ``after`` and ``limit`` walk the pieces oldest first, ``next`` says
where the next page starts, a page past the end is empty, a limit past the largest page or
a negative ``after`` is refused (``request_invalid``), and ``GET /evidence/{id}`` still
answers one piece."""

from __future__ import annotations

import httpx
import pytest

from civicid.checkpoint import MAX_NOTE_BYTES
from ledger.witness.evidence import EVIDENCE_PAGE, MAX_EVIDENCE_PAGE, Evidence
from ledger.witness.models import EvidenceList, EvidenceView, WitnessStatus
from ledger.witness.witness import Witness
from tests.witness.logs import NOW, ORIGIN
from tests.witness.test_http import served

__all__ = ["served"]  # the fixture this module's ``evidence`` builds on

pytestmark = pytest.mark.xdist_group("loopback")

PIECES = 2 * MAX_EVIDENCE_PAGE + 3
NOTE_CHARS = MAX_NOTE_BYTES // 2  # large notes: the size of an answer is what is bounded


def piece(number: int) -> Evidence:
    """A piece as the store keeps it (the route serves what the store holds; whether its
    notes verify is the reader's check, tests/witness/test_http.py)."""
    note = f"{ORIGIN}\n{number}\n{'A' * NOTE_CHARS}\n"
    return Evidence("same_size", ORIGIN, NOW + number, note, note + "x")


@pytest.fixture
def evidence(served: tuple[httpx.Client, Witness]) -> tuple[httpx.Client, Witness]:
    """The witness over loopback (tests/witness/test_http.py), holding PIECES pieces."""
    _, witness = served
    for number in range(PIECES):
        assert witness.evidence.add(piece(number))
    return served


def test_the_first_page_is_bounded(evidence: tuple[httpx.Client, Witness]) -> None:
    client, _ = evidence
    answer = client.get("/evidence")
    assert answer.status_code == 200
    page = EvidenceList.from_json(answer.content)
    assert [v.detected for v in page.evidence] == [NOW + n for n in range(EVIDENCE_PAGE)]
    assert page.next == EVIDENCE_PAGE
    assert len(answer.content) < (EVIDENCE_PAGE + 1) * 2 * (NOTE_CHARS + 100)


def test_the_pages_walk_every_piece_once_oldest_first(
    evidence: tuple[httpx.Client, Witness],
) -> None:
    client, witness = evidence
    seen: list[str] = []
    after: int | None = 0
    while after is not None:
        page = EvidenceList.from_json(
            client.get("/evidence", params={"after": after, "limit": MAX_EVIDENCE_PAGE}).content
        )
        assert len(page.evidence) <= MAX_EVIDENCE_PAGE
        seen += [view.id for view in page.evidence]
        after = page.next
    assert seen == [piece(n).id for n in range(PIECES)] == [e.id for e in witness.evidence]
    status = WitnessStatus.from_json(client.get("/status").content)
    assert [e.id for e in status.evidence] == seen  # every id, without the notes
    empty = EvidenceList.from_json(client.get("/evidence", params={"after": PIECES}).content)
    assert empty.evidence == [] and empty.next is None
    one = EvidenceView.from_json(client.get(f"/evidence/{seen[-1]}").content)
    assert Evidence.from_view(one) == piece(PIECES - 1)


@pytest.mark.parametrize("params", [{"limit": MAX_EVIDENCE_PAGE + 1}, {"limit": 0}, {"after": -1}])
def test_out_of_range_pages_are_refused(
    evidence: tuple[httpx.Client, Witness], params: dict[str, int]
) -> None:
    answer = evidence[0].get("/evidence", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"] == "request_invalid"


@pytest.mark.parametrize("query", ["limit=1&limit=20", "after=0&after=20"])
def test_a_parameter_given_twice_is_refused(
    evidence: tuple[httpx.Client, Witness], query: str
) -> None:
    # The framework took the last of the two; a cache or proxy in front may key on the first.
    client, _ = evidence
    answer = client.get(f"/evidence?{query}")
    assert answer.status_code == 400
    assert answer.json()["error"] == "request_invalid"
    assert "given more than once" in answer.json()["error_description"]
