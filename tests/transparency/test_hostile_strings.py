"""Every string from outside is shown inert: a display name, a purpose, a legal basis, a type's
name and schema, a rule's claims and conditions carrying markup and script are text on the
page, never markup; a name with a terminal escape is refused by the ledger, and one that got
past would be shown escaped."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from civicid import transaction as tx
from civicid.accreditation import grant_body
from civicid.errors import Error
from civicid.identity import Identity
from civicid.issuance_rules import publish_body
from tests.ledger.conftest import World
from tests.ledger.trust import NATIONAL_ID, metadata, type_body
from tests.transparency.conftest import register_named

NAME = "<script>alert(1)</script><img src=x onerror=alert(2)> \"Cadur\" 'Registry' &amp;"
FRENCH = "</td></tr></table><h1>Pwned</h1>"
LEGAL = '<a href="javascript:alert(3)">Identity Act</a>'
SCHEMA_NOTE = "</pre><script>alert(4)</script>"
LABEL = "<u>Nationality</u>"
MARKUP = ("<script>", "<img", "<h1>Pwned", '<a href="javascript', "</pre><script>", "<b>", "<i>")


def hostile_world(world: World) -> Identity:
    agency = register_named(world, "agency", {"en": NAME, "fr": FRENCH})
    body = grant_body(
        agency.did,
        credential_types=[NATIONAL_ID],
        valid_from=world.clock.now,
        valid_until=world.clock.now + 86400,
        purpose="<b>Issue</b> national IDs",
        legal_basis=LEGAL,
    )
    world.submit_as(world.governance, tx.ACCREDITATION_GRANT, body)
    registered = type_body()
    registered["metadata"]["name"] = "<i>National ID</i>"
    registered["schema"]["description"] = SCHEMA_NOTE
    world.submit_as(agency, tx.CREDENTIAL_TYPE, registered)
    return agency


def test_markup_in_names_purposes_and_schemas_is_shown_as_text(
    world: World, http: TestClient
) -> None:
    hostile_world(world)
    html = http.get("/transparency").text
    for markup in MARKUP:
        assert markup not in html, markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1&gt;Pwned&lt;/h1&gt;" in html
    assert "&lt;a href=&#34;javascript:alert(3)&#34;&gt;Identity Act&lt;/a&gt;" in html
    assert "&amp;amp;" in html  # an entity in a name is shown as typed
    assert "&lt;i&gt;National ID&lt;/i&gt;" in html
    assert json.dumps(SCHEMA_NOTE)[1:-1].replace("<", "&lt;").replace(">", "&gt;") in html
    # The page's own policy forbids inline script even if markup got through.
    policy = http.get("/transparency").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_markup_in_a_rules_claims_and_conditions_is_shown_as_text(
    world: World, http: TestClient
) -> None:
    """A rule's claim names and condition values are worded for people ("... must be one
    of ...") and stay text: the wording is no way round the escaping."""
    agency = hostile_world(world)
    policy = {
        "title": "<h1>Pwned</h1> pass",
        "purpose": "For <b>everyone</b>",
        "credential_types": [NATIONAL_ID],
        "required_claims": ["<img/src=x/onerror=alert(5)>"],
        "predicates": [
            {"claim": "resident", "equals": "<script>alert(6)</script>"},
            {"claim": "nationality", "one_of": ["FR", '<a href="javascript:alert(7)">BE</a>']},
        ],
    }
    body = publish_body(name="hostile", version=1, vct=NATIONAL_ID, policy=policy)
    world.submit_as(agency, tx.ISSUANCE_RULE, body)
    # The type's label for a claim is worded in place of its name, and stays text too.
    labelled = metadata(name="National ID")
    labelled["claims"].append(
        {"path": ["nationality"], "display": [{"locale": "en", "label": LABEL}]}
    )
    world.submit_as(agency, tx.CREDENTIAL_TYPE, type_body(metadata=labelled))
    html = http.get("/transparency").text
    rule = html.split('<article class="rule"')[1].split("</article>")[0]
    for markup in (*MARKUP, "<img/src", "<script>alert(6)", '<a href="javascript:alert(7)', LABEL):
        assert markup not in rule, markup
    assert "<li>&lt;img/src=x/onerror=alert(5)&gt;</li>" in rule
    assert "<li>Resident must be &lt;script&gt;alert(6)&lt;/script&gt;</li>" in rule
    assert (
        "<li>&lt;u&gt;Nationality&lt;/u&gt; must be one of FR, "
        "&lt;a href=&#34;javascript:alert(7)&#34;&gt;BE&lt;/a&gt;</li>"
    ) in rule
    assert "&lt;h1&gt;Pwned&lt;/h1&gt; pass" in rule and "For &lt;b&gt;everyone&lt;/b&gt;" in rule


def test_a_name_with_a_terminal_escape_is_refused_and_would_be_shown_escaped(
    world: World, http: TestClient
) -> None:
    size = world.ledger.size
    with pytest.raises(Error) as refused:
        register_named(world, "agency", {"en": "Cadur\x1b[2J\x1b]52;c;cm0gLXJm\x07"})
    assert refused.value.code == "name_control_character"
    assert world.ledger.size == size
    # Had one got through (a ledger of an older version, a bug): shown as its escape.
    agency = register_named(world, "agency", {"en": "Cadur Registry"})
    http.get("/transparency")  # the page reads and keeps the names
    names = http.app.state.transparency.names  # type: ignore[attr-defined]
    names.found[agency.did] = {"en": "Evil\x1b[2J\u202eName"}
    html = http.get("/transparency").text
    assert "\x1b" not in html and "\u202e" not in html
    assert "Evil\\x1b[2J\\u202eName" in html
