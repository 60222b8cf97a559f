"""The registry client's answers on the verifier's ledger world: a type comes with the seq
of its registration and the checkpoint it was proven against; an agency's grants are judged
with its DID's history as of the answer's checkpoint (a deactivation logged after the client
last read that history still counts); a "not found" without its proof of absence is
refused (``ledger_answer_unproven``), never taken as the ledger's word; another desk's
genuine grants told about a desk are refused (``ledger_answer_mismatch``) even with the
verdict they give for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from tests.trust.rogue import Rogue, genuine
from tests.verifier.world import LIST_URI, NATIONAL_ID, World


class Denies(httpx.BaseTransport):
    """The genuine ledger, but for ``path``: "not found", with the ledger's own error and
    no proof of absence."""

    def __init__(self, inner: httpx.BaseTransport, path: str, code: str) -> None:
        self.inner, self.path, self.code = inner, path, code
        self.denied = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != self.path:
            return self.inner.handle_request(request)
        self.denied += 1
        return httpx.Response(404, json={"error": self.code, "error_description": "none here"})


@pytest.fixture
def client_of(world: World) -> Iterator[Any]:
    clients: list[LedgerClient] = []

    def make(transport: httpx.BaseTransport) -> LedgerClient:
        client = LedgerClient("http://testserver", world.genesis.vkey, transport=transport,
                              clock=lambda: world.clock.now)  # fmt: skip
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_a_type_is_proven_with_its_registrations_seq_and_checkpoint(
    world: World, http: httpx.BaseTransport, client_of: Any
) -> None:
    client = client_of(http)
    proven = client.credential_type(NATIONAL_ID)
    assert proven.seq == world.ledger.state.credential_types[NATIONAL_ID][-1].seq
    assert proven.checkpoint == client.trusted
    assert proven.checkpoint.size == world.ledger.size


def test_a_deactivation_logged_after_the_history_was_read_ends_the_grants(
    world: World, http: httpx.BaseTransport, client_of: Any
) -> None:
    agency = world.register("agency")
    world.accredit(agency, vcts=[NATIONAL_ID])
    client = client_of(http)
    assert client.issuer_accredited(agency.did, NATIONAL_ID).accredited  # history read then
    world.clock.now += 10
    head = world.ledger.state.record(agency.did).current.version_id
    world.ledger.submit(agency.deactivate_tx(head, ledger=world.origin, now=world.clock.now))
    world.clock.now += 10
    answer = client.issuer_accredited(agency.did, NATIONAL_ID)
    assert not answer.accredited
    assert answer.standing.reason == "accreditation_subject_deactivated"


@pytest.mark.parametrize(
    ("path", "code", "ask"),
    [
        ("/credential-types", "credential_type_not_found",
         lambda client: client.credential_type(NATIONAL_ID)),
        ("/status-lists", "status_list_not_found", lambda client: client.status_list(LIST_URI)),
    ],
)  # fmt: skip
def test_a_not_found_without_its_proof_is_refused(
    http: httpx.BaseTransport, client_of: Any, path: str, code: str, ask: Any
) -> None:
    denies = Denies(http, path, code)
    with pytest.raises(Error) as caught:
        ask(client_of(denies))
    assert caught.value.code == "ledger_answer_unproven"
    assert denies.denied == 1


def test_another_desks_grants_are_refused_even_with_the_verdict_they_give(
    world: World, http: httpx.BaseTransport, client_of: Any
) -> None:
    """Judged for the desk asked about, another desk's grants give "not accredited", the
    verdict told: the answer is still refused, as its grants would otherwise count for the
    claims and grants in force the desk's standing lists."""
    stranger = world.register("service-desk")

    def borrowed(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any] | None:
        if request.url.params.get("subject") != stranger.did:
            return None
        params = {**request.url.params, "subject": world.desk.did}
        other = genuine(http, request.url.path, **params)
        assert other["accredited"] and other["entries"]  # the other desk's grants
        told = {**other, "accredited": False}
        told.pop("accreditation", None)
        return told

    rogue = Rogue(http, "/accreditations/verifier", borrowed)
    with pytest.raises(Error) as caught:
        client_of(rogue).verifier_allowed(stranger.did, NATIONAL_ID, ["resident"])
    assert caught.value.code == "ledger_answer_mismatch"
    assert rogue.lied == 1
