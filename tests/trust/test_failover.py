"""Clients take a list of ledger URLs (a ledger, then its mirrors) and fail over when one
cannot be reached, times out or answers 5xx; what a mirror answers is verified exactly as
the ledger's, so a lying mirror is refused as a lying ledger is (test_rogue_mirror.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from civicid.errors import Error
from civicid.ledger_client import LedgerClient, ledger_urls
from civicid.trust import Trust
from issuer.settings import IssuerSettings
from ledger.mirror import Mirror
from ledger.mirror_app import create_mirror_app
from ledger.monitor import TRUST_FILE
from tests.trust.rogue import Rogue, revocation_withheld
from tests.verifier.world import NATIONAL_ID, AppTransport, Clock, World, settings_for
from tests.wallet.conftest import fast_settings
from verifier.service import Verifier
from verifier.settings import VerifierSettings
from wallet.holder.wallet import Wallet

URLS = "http://ledger.test, http://mirror.test"
Failure = Callable[[httpx.Request], httpx.Response]


def refused_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer", request=request)


def busy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"error": "server_busy", "error_description": "busy"})


class Hosts(httpx.BaseTransport):
    """ledger.test fails as told (None: the genuine ledger); mirror.test is the mirror."""

    def __init__(self, ledger: httpx.BaseTransport, mirror: httpx.BaseTransport) -> None:
        self.ledger, self.mirror = ledger, mirror
        self.failure: Failure | None = None
        self.follow: Callable[[], object] = lambda: None  # brings the mirror up to the ledger
        self.asked: dict[str, int] = {"ledger.test": 0, "mirror.test": 0}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.asked[request.url.host] += 1
        if request.url.host == "mirror.test":
            return self.mirror.handle_request(request)
        if self.failure is not None:
            return self.failure(request)
        return self.ledger.handle_request(request)


@pytest.fixture
def hosts(world: World, http: httpx.BaseTransport, tmp_path: Path) -> Iterator[Hosts]:
    client = LedgerClient("http://ledger.test", world.genesis.vkey, transport=http,
                          trust_file=tmp_path / "copy" / TRUST_FILE)  # fmt: skip
    mirror = Mirror(client, tmp_path / "copy")
    assert mirror.follow().error is None
    with TestClient(create_mirror_app(mirror, interval=None)) as served:
        hosts = Hosts(http, AppTransport(served))
        hosts.follow = mirror.follow
        yield hosts
    mirror.close()
    client.close()


def client_of(world: World, transport: httpx.BaseTransport) -> LedgerClient:
    return LedgerClient(URLS, world.genesis.vkey, transport=transport,
                        clock=lambda: world.clock.now)  # fmt: skip


@pytest.mark.parametrize("failure", [refused_connection, timed_out, busy])
def test_a_read_goes_to_the_mirror_when_the_ledger_fails(
    world: World, hosts: Hosts, failure: Failure
) -> None:
    hosts.failure = failure
    client = client_of(world, hosts)
    resolved = client.resolve(world.agency.did)
    assert resolved.checkpoint.size == world.ledger.size
    assert hosts.asked["mirror.test"] and client.http is client.servers[1]
    asked = dict(hosts.asked)
    client.checkpoint()  # the mirror answered last: it is asked first
    assert hosts.asked["ledger.test"] == asked["ledger.test"]
    client.close()


def test_the_ledger_is_asked_first_while_it_answers(world: World, hosts: Hosts) -> None:
    client = client_of(world, hosts)
    client.resolve(world.agency.did)
    assert hosts.asked["mirror.test"] == 0
    client.close()


def test_when_every_server_fails_the_last_failure_is_said(world: World, hosts: Hosts) -> None:
    hosts.failure = refused_connection
    hosts.mirror = httpx.MockTransport(busy)
    client = client_of(world, hosts)
    with pytest.raises(Error) as caught:
        client.checkpoint()
    # A read's failure in the client's own code, the server's kept beside it.
    assert caught.value.code == "ledger_failed"
    assert caught.value.details["ledger_code"] == "server_busy"
    client.close()


def test_a_write_is_not_sent_twice(world: World, hosts: Hosts) -> None:
    """A write that may have reached the ledger (a timeout, a 5xx) is not sent to another
    server; one refused at connection goes on (to a mirror, which refuses writes)."""
    client = client_of(world, hosts)
    for failure, code in ((timed_out, "http_deadline"), (busy, "server_busy")):
        hosts.failure = failure
        with pytest.raises(Error) as caught:
            client.send("a.b.c")
        assert caught.value.code == code and hosts.asked["mirror.test"] == 0
    hosts.failure = refused_connection
    with pytest.raises(Error) as caught:
        client.send("a.b.c")
    assert caught.value.code == "mirror_read_only"
    client.close()


def test_a_lying_mirror_behind_a_dead_ledger_is_refused(world: World, hosts: Hosts) -> None:
    agency = world.register("agency")
    accreditation = world.accredit(agency, vcts=[NATIONAL_ID])
    world.clock.now += 10
    world.revoke_accreditation(accreditation)
    hosts.follow()  # the mirror holds the revocation, and withholds it
    hosts.failure = refused_connection
    rogue = Rogue(hosts.mirror, "/accreditations", revocation_withheld)
    hosts.mirror = rogue
    trust = Trust(client_of(world, hosts), clock=lambda: world.clock.now)
    with pytest.raises(Error) as caught:
        trust.issuer_standing(agency.did, NATIONAL_ID, world.clock.now)
    assert caught.value.code == "map_proof_invalid" and rogue.lied


def test_the_desk_opens_through_a_mirror(world: World, hosts: Hosts, clock: Clock) -> None:
    """The desk checks its own accreditation for every policy at start: all from the mirror."""
    hosts.failure = refused_connection
    desk = Verifier.open(settings_for(world.root, url=URLS), clock=clock, ledger_transport=hosts)
    try:
        assert hosts.asked["mirror.test"]
    finally:
        desk.close()


def test_the_wallet_asks_the_mirror(world: World, hosts: Hosts, tmp_path: Path) -> None:
    hosts.failure = timed_out
    settings = fast_settings(tmp_path / "citizen", ledger_url=URLS)
    settings = settings.model_copy(update={"ledger_key": world.genesis.vkey})
    wallet = Wallet.create(settings, "a passphrase long enough", transport=hosts,
                           clock=lambda: world.clock.now)  # fmt: skip
    try:
        chain = wallet.trust.history(world.agency.did)
        assert chain.did == world.agency.did and hosts.asked["mirror.test"]
    finally:
        wallet.close()


def test_settings_take_one_url_or_several(tmp_path: Path) -> None:
    assert ledger_urls("http://a.test/") == ["http://a.test"]
    assert ledger_urls(" http://a.test ,https://b.test:8710") == [
        "http://a.test",
        "https://b.test:8710",
    ]
    verifier = settings_for(tmp_path, url=URLS)
    assert verifier.ledger_url == URLS
    issuer = IssuerSettings(data_dir=tmp_path, ledger_url="http://a.test/,http://b.test")
    assert issuer.ledger_url == "http://a.test, http://b.test"
    wallet = fast_settings(tmp_path / "w", ledger_url="http://a.test,http://b.test")
    assert wallet.ledger_url == "http://a.test, http://b.test"
    with pytest.raises(Error) as refused:
        fast_settings(tmp_path / "w", ledger_url="http://a.test, b.test")
    assert refused.value.code == "wallet_settings_invalid"
    for bad in ("http://a.test, ftp://b.test", "http://a.test,", "http://a.test?x=1"):
        with pytest.raises(Error) as caught:
            VerifierSettings.load(tmp_path, ledger_url=bad)
        assert caught.value.code == "verifier_settings_invalid"
        with pytest.raises(Error) as caught:
            ledger_urls(bad)
        assert caught.value.code == "ledger_url_invalid"
