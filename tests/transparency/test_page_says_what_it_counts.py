"""The transparency page says what it counts and names what it lists as people read it.

A credential has a status entry per copy a wallet holds: one credential revoked, its four
copies with it, read "4 revoked" as if four credentials were. The counts say "entries" and
the section says why. A desk's accreditation listed its claims as code words ("given_name"):
each is named by the label its type registers on the ledger, escaped like every outside
string on the page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from civicid import transaction as tx
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, NATIONAL_ID

COPIES = (40, 41, 42, 43)  # one credential's four copies, revoked together
LABELS = {"given_name": "First name <b>as registered</b>", "age_over_18": "Adult"}


def labelled_type() -> dict[str, object]:
    claims = [
        {"path": [name], "display": [{"locale": "en-GB", "label": label}], "sd": "always"}
        for name, label in LABELS.items()
    ]
    return trust.type_body(metadata=trust.metadata(claims=claims))


def caption(html: str) -> str:
    return html.split('data-agency="')[1].split("</figcaption>")[0]


def test_one_credential_revoked_reads_as_its_entries(world: World, http: TestClient) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    trust.register_type(world, agency)
    text = trust.token(agency, now=world.clock.now, size=1024, revoked=COPIES, suspended=())
    trust.publish(world, agency, LIST_URI, text)
    html = http.get("/transparency").text
    said = re.sub(r"<[^>]+>", "", caption(html))
    assert "1,024 status entries" in said and "4 entries revoked" in said, said
    assert "0 entries suspended" in said
    section = html.split('id="counts"')[1].split("</section>")[0]
    assert "one credential revoked shows as several entries" in " ".join(section.split())


def test_a_desks_claims_by_their_registered_labels(world: World, http: TestClient) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    world.submit_as(agency, tx.CREDENTIAL_TYPE, labelled_type())
    desk = world.register("service-desk")
    grant = world.accredit(desk, claims={NATIONAL_ID: ["given_name", "age_over_18"]})
    html = http.get("/transparency").text
    row = html.split(f'data-accreditation="{grant}"')[1].split("</tr>")[0]
    what = row.split('data-label="What"')[1].split("</td>")[0]
    assert "First name &lt;b&gt;as registered&lt;/b&gt;, Adult" in what, what
    assert "given_name" not in what and "age_over_18" not in what
