"""The page's routes: the ledger's front page leads to it; its two files only are served, each
with the page's policy; anything else is refused with its code; a ledger with no entry yet
has no page (``ledger_not_initialized``), and its refusal changes nothing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ledger.app import create_app
from ledger.log import Ledger
from ledger.settings import LedgerSettings
from ledger.store import FileLogStore
from tests.ledger.conftest import World
from tests.transparency.stories import populate


def test_the_front_page_leads_to_the_page(http: TestClient) -> None:
    answer = http.get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/transparency"
    page = http.get("/transparency")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_only_the_page_files_are_served(http: TestClient) -> None:
    for name, kind in (("transparency.js", "text/javascript"), ("transparency.css", "text/css")):
        answer = http.get(f"/transparency/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
        assert answer.headers["x-content-type-options"] == "nosniff"
    for name in ("transparency.html", "x.js", "%2e%2e", "transparency.js%00"):
        answer = http.get(f"/transparency/static/{name}")
        assert answer.status_code == 404, name
        assert answer.json()["error"] == "page_file_not_found"
    for path in ("..%2Fpage.py", "../templates/transparency.html"):
        assert http.get(f"/transparency/static/{path}").status_code == 404, path


def test_a_ledger_without_entries_has_no_page(tmp_path: Path) -> None:
    store = FileLogStore(tmp_path / "ledger", create=True)
    ledger = Ledger(store, None)
    try:
        app = create_app(LedgerSettings(data_dir=tmp_path), ledger=ledger)
        with TestClient(app) as http:
            answer = http.get("/transparency")
        assert answer.status_code == 404
        assert answer.json()["error"] == "ledger_not_initialized"
        assert ledger.size == 0 and store.size == 0
    finally:
        ledger.close()


def test_the_page_of_a_world_names_its_ledger(world: World, http: TestClient) -> None:
    html = http.get("/transparency").text
    assert f"<code>{world.origin}</code>" in html and '<html lang="en">' in html
    assert html.count("<h1>") == 1


def test_names_in_the_reader_s_language_marked_with_it(world: World, http: TestClient) -> None:
    populate(world, days=1)
    french = http.get("/transparency", headers={"accept-language": "fr-CA, en;q=0.5"}).text
    assert '<span lang="fr">État civil de Cadur</span>' in french
    assert '<span lang="en">Cadur Benefits Office</span>' in french  # no French name: English
    english = http.get("/transparency").text
    assert '<span lang="en">Cadur Civil Registry</span>' in english


def test_the_page_counts_its_entries_one_way(world: World, http: TestClient) -> None:
    """The checkpoint's size is the number of entries, numbered from 0: the foot of the page
    says both, not "entry 6" under "Entries 7"."""
    populate(world, days=1)
    html = http.get("/transparency").text
    size = world.ledger.size
    assert f'<dd id="cp-size">{size}</dd>' in html
    foot = " ".join(html.split('<p id="as-of">')[1].split("</p>")[0].split())
    assert f": the checkpoint of {size} entries (0 to {size - 1})." in foot
    assert f"entry {size - 1}." not in foot
