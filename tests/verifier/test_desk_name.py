"""The desk's page names the desk as governance endorsed it on the ledger, in the browser's
language, its DID beside the name; a name is shown, never read as markup; without an
answer from the ledger the page still opens, with the DID alone."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.verifier.world import DESK_NAMES, World, settings_for
from verifier.app import create_app
from verifier.service import Verifier


def page(world: World, verifier: Verifier, language: str = "") -> str:
    app = create_app(settings_for(world.root), verifier=verifier)
    with TestClient(app, base_url="http://desk.test") as client:
        answer = client.get("/", headers={"accept-language": language} if language else {})
    assert answer.status_code == 200
    return answer.text


@pytest.mark.parametrize(
    "language, name",
    [
        ("", DESK_NAMES["en"]),
        ("fr-CA, fr;q=0.9, en;q=0.5", DESK_NAMES["fr"]),
        ("de, en;q=0.8", DESK_NAMES["en"]),
        ("fr;q=0, en", DESK_NAMES["en"]),
    ],
)
def test_the_page_names_the_desk(
    world: World, verifier: Verifier, language: str, name: str
) -> None:
    text = page(world, verifier, language)
    assert f'<strong id="desk-name">{escape(name)}</strong>' in text
    assert f"<code>{world.desk.did}</code>" in text  # the DID stays beside it


def test_a_name_is_shown_never_read_as_markup(
    world: World, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No control character, so the ledger takes it: the page must escape it.
    hostile = '<img src=x onerror="alert(1)"> & <b>Desk</b>'
    monkeypatch.setattr(verifier, "desk_names", lambda: {"en": hostile})
    text = page(world, verifier)
    assert "<img src=x" not in text and "<b>Desk" not in text
    assert f'<strong id="desk-name">{escape(hostile)}</strong>' in text


def test_without_the_ledger_the_page_shows_the_did(
    world: World, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(did: str, **_: object) -> None:
        from civicid.ledger_client import LEDGER_ANSWER_STALE

        raise LEDGER_ANSWER_STALE("no answer")

    monkeypatch.setattr(verifier.trust, "history", unreachable)
    text = page(world, verifier)
    assert 'id="desk-name"' not in text and f"<code>{world.desk.did}</code>" in text
    monkeypatch.undo()
    assert verifier.desk_names() == DESK_NAMES  # asked again once the ledger answers
