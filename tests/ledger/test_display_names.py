"""Display names on the ledger: a public body names itself in its endorsed first DID
document; the ledger refuses a malformed entry (in a create or an update, in process and
over HTTP) with its code and an unchanged log; clients read the names of the first version
only, so a later update cannot rename the body; ``ledger register --name`` writes them."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.names import MAX_LANGUAGES, MAX_NAME_CHARS, names_of, names_service
from cli.harness import free_port, serving
from ledger.app import create_app
from ledger.settings import LedgerSettings
from tests.ledger.conftest import World
from tests.ledger.test_cli import civicid

CADUR = {"en": "City of Cadur", "fr": "Ville de Cadur"}


def names(endpoint: Any) -> dict[str, Any]:
    return {"id": "#names", "type": "DisplayNames", "serviceEndpoint": endpoint}


MALFORMED = {
    "hyperlink": (names({"en": "Cadur\x1b]8;;https://x.example\x07"}), "name_control_character"),
    "bidi override": (names({"en": "Cadur \u202eyrtsinim"}), "name_control_character"),
    "too long": (names({"en": "x" * (MAX_NAME_CHARS + 1)}), "name_too_long"),
    "language": (names({"english language": "Cadur"}), "name_language_invalid"),
    "too many": (names({f"x-l{i}": "Cadur" for i in range(MAX_LANGUAGES + 1)}), "names_too_many"),
    "not a map": (names("City of Cadur"), "names_invalid"),
}  # fmt: skip


def create_tx(world: World, who: Identity, role: str = "agency") -> str:
    endorsement = world.governance.endorse(who.did, role, ledger=world.origin, now=world.clock.now)
    return who.create_tx(
        role=role, endorsement=endorsement, ledger=world.origin, now=world.clock.now
    )


def refused(world: World, text: str, code: str) -> None:
    size = world.ledger.size
    with pytest.raises(Error) as info:
        world.ledger.submit(text)
    assert info.value.code == code, info.value
    assert world.ledger.size == size


@pytest.mark.parametrize("service, code", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_create_with_malformed_names_is_refused(world: World, service: Any, code: str) -> None:
    who = Identity.create(services=[service])
    refused(world, create_tx(world, who), code)


def test_two_names_entries_are_refused(world: World) -> None:
    other = {**names_service({"en": "Someone else"}), "id": "#names-2"}
    who = Identity.create(services=[names_service(CADUR), other])
    refused(world, create_tx(world, who), "names_invalid")


@pytest.mark.parametrize("service, code", list(MALFORMED.values())[:2], ids=list(MALFORMED)[:2])
def test_an_update_with_malformed_names_is_refused(world: World, service: Any, code: str) -> None:
    who = Identity.create(services=[names_service(CADUR)])
    world.ledger.submit(create_tx(world, who))
    renamed = dataclasses.replace(who, document={**who.document, "service": [service]})
    _, update = renamed.rotate(world.head(who), ledger=world.origin, now=world.clock.now)
    refused(world, update, code)


@pytest.fixture
def live(world: World) -> Iterator[str]:
    app = create_app(LedgerSettings(data_dir=world.root), ledger=world.ledger)
    with serving(app, free_port()) as url:
        yield url


@pytest.fixture
def client(world: World, live: str) -> Iterator[LedgerClient]:
    with LedgerClient(live, world.genesis.vkey) as c:
        yield c


def test_clients_read_the_endorsed_names_and_only_those(
    world: World, live: str, client: LedgerClient
) -> None:
    who = Identity.create(services=[names_service(CADUR)])
    world.ledger.submit(create_tx(world, who))
    assert names_of(client, who.did) == CADUR
    # A valid update naming the body otherwise is logged, and changes nothing anyone reads:
    # governance endorsed the first document only.
    renamed = dataclasses.replace(
        who, document={**who.document, "service": [names_service({"en": "Ministry of Truth"})]}
    )
    _, update = renamed.rotate(world.head(who), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    with LedgerClient(live, world.genesis.vkey) as fresh:  # nothing remembered
        assert fresh.chain(who.did).latest.number == 2
        assert names_of(fresh, who.did) == CADUR


def test_a_body_without_names_has_none(world: World, client: LedgerClient) -> None:
    who = world.register()
    assert names_of(client, who.did) == {}


def test_over_http_a_malformed_name_is_refused_with_its_code(world: World, live: str) -> None:
    size = world.ledger.size
    who = Identity.create(services=[MALFORMED["hyperlink"][0]])
    answer = httpx.post(
        f"{live}/transactions",
        content=create_tx(world, who),
        headers={"content-type": "application/jose"},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "name_control_character"
    assert world.ledger.size == size


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> str:
    assert civicid("ledger", "init", "--data-dir", str(tmp_path))[0] == 0
    return str(tmp_path)


def test_register_with_names(data: str) -> None:
    code, out, err = civicid(
        "ledger", "register", "town-hall", "--data-dir", data, "--role", "agency",
        "--service", "https://cadur.example", "--name", "en=City of Cadur",
        "--name", "fr=Ville de Cadur", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["names"] == CADUR
    code, out, _ = civicid("ledger", "resolve", "town-hall", "--data-dir", data, "--json")
    document = json.loads(out)["didDocument"]
    assert [s["type"] for s in document["service"]] == ["CredentialStatusLists", "DisplayNames"]
    assert document["service"][1]["serviceEndpoint"] == CADUR
    code, out, _ = civicid("ledger", "register", "desk", "--data-dir", data, "--role",
                           "service-desk", "--name", "en=Cadur town hall desk")  # fmt: skip
    assert code == 0 and "Cadur town hall desk" in out


@pytest.mark.parametrize(
    "option, code",
    [
        ("City of Cadur", "names_invalid"),
        ("en_GB=City of Cadur", "name_language_invalid"),
        ("en=" + "x" * (MAX_NAME_CHARS + 1), "name_too_long"),
        ("en=City\x1b[2Jof Cadur", "name_control_character"),
    ],
    ids=["no-language", "locale-spelling", "too-long", "escape"],
)
def test_register_refuses_a_bad_name_in_one_line(data: str, option: str, code: str) -> None:
    before = (Path(data) / "ledger" / "log.dat").read_bytes()
    exit_code, out, err = civicid(
        "ledger", "register", "town-hall", "--data-dir", data, "--name", option
    )
    assert exit_code == 1 and out == "", out
    assert err.count("\n") == 1 and err.rstrip().endswith(f"[{code}]"), err
    assert "\x1b" not in err
    assert not (Path(data) / "keys" / "town-hall.json").exists()
    assert (Path(data) / "ledger" / "log.dat").read_bytes() == before


def test_register_through_a_running_ledger(world: World, live: str, client: LedgerClient) -> None:
    world.clock.now = int(time.time())  # the command signs at the real time
    code, out, err = civicid(
        "ledger", "register", "town-hall", "--data-dir", str(world.root), "--role",
        "service-desk", "--name", "en=Cadur town hall desk", "--ledger", live, "--json",
    )  # fmt: skip
    assert code == 0, err
    did = json.loads(out)["did"]
    assert names_of(client, did) == {"en": "Cadur town hall desk"}
