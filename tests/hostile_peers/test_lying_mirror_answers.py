"""A mirror on 127.0.0.1 (a real one, caught up with the ledger) behind a proxy that lies
in its answers to a client: another genuine entry under the inclusion proof of the one
asked about, a revocation left out, a status list's older version told as its latest. The
client refuses each with its code and keeps no answer of it: asked again through the
honest mirror, it gets the truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from civicid import transaction as tx
from civicid.accreditation import revocation_body
from civicid.errors import Code
from civicid.ledger_client import LedgerClient
from civicid.merkle import INCLUSION_PROOF_INVALID
from civicid.statemap import MAP_PROOF_INVALID
from civicid.transaction import Transaction
from cli.harness import free_port, serving
from ledger.mirror import Mirror
from ledger.mirror_app import create_mirror_app
from ledger.monitor import TRUST_FILE
from tests.hostile_peers.peers import Answer, Lie, lying, refused, served
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.trust import LIST_URI, NATIONAL_ID

Ask = Callable[[LedgerClient], object]


class Mirrored:
    """The ledger, a mirror of it served on 127.0.0.1, and the agency asked about."""

    def __init__(self, world: World, root: Path, stack: ExitStack) -> None:
        self.world = world
        self.agency = world.register("agency")
        self.accreditation = world.accredit(self.agency, vcts=[NATIONAL_ID])
        self.first_list = trust.publish(world, self.agency)  # index 3 revoked
        world.clock.now += 10
        trust.publish(world, self.agency, text=trust.token(self.agency, now=world.clock.now,
                                                           revoked=(3, 9)))  # fmt: skip
        world.clock.now += 10
        world.submit_as(world.governance, tx.ACCREDITATION_REVOKE,
                        revocation_body(self.accreditation, "Test"))  # fmt: skip
        ledger = stack.enter_context(served(world.ledger))
        follower = LedgerClient(ledger, world.genesis.vkey, trust_file=root / TRUST_FILE)
        stack.callback(follower.close)
        mirror = Mirror(follower, root)
        stack.callback(mirror.close)
        assert mirror.follow().error is None
        self.url = stack.enter_context(serving(create_mirror_app(mirror, interval=None),
                                               free_port()))  # fmt: skip

    def client(self, url: str, trust_file: Path) -> LedgerClient:
        return LedgerClient(url, self.world.genesis.vkey, trust_file=trust_file,
                            clock=lambda: self.world.clock.now)  # fmt: skip

    def refuses(self, lie: Lie, code: Code, trust_file: Path, ask: Ask | None = None) -> None:
        """``ask`` (the agency's standing) through ``lie`` is refused with ``code``; asked
        again of the honest mirror, it is answered as the ledger holds it (``truth``)."""
        ask = ask or self.standing
        with lying(self.url, lie) as (url, liar), self.client(url, trust_file) as client:
            refused(code, lambda: ask(client))
        assert liar.lied
        with self.client(self.url, trust_file) as client:  # the truth, asked again
            assert ask(client) == self.truth(ask)

    def standing(self, client: LedgerClient) -> object:
        answer = client.issuer_accredited(self.agency.did, NATIONAL_ID)
        return (answer.accredited, answer.standing.reason)

    def status_of_9(self, client: LedgerClient) -> object:
        return client.status_list(LIST_URI, now=self.world.clock.now).status(9)

    def truth(self, ask: Ask) -> object:
        if ask == self.standing:
            return (False, "accreditation_revoked")
        return 1  # revoked by the list's second version


@pytest.fixture
def mirrored(world: World, tmp_path: Path) -> Iterator[Mirrored]:
    with ExitStack() as stack:
        yield Mirrored(world, tmp_path / "mirror", stack)


def kind(item: dict[str, object]) -> str:
    return Transaction.parse(str(item["transaction"])).type


def test_another_entry_under_the_inclusion_proof_of_the_one_asked_is_refused(
    mirrored: Mirrored, tmp_path: Path
) -> None:
    """The revocation's text replaced by the grant's, both genuine and logged: the proof
    given is the revocation's, so the grant counted twice is not what the tree holds."""

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if path != "/accreditations" or answer.status != 200:
            return None
        body = answer.json()
        grant = next(e for e in body["entries"] if kind(e) == tx.ACCREDITATION_GRANT)
        body["entries"] = [
            {**e, "transaction": grant["transaction"]}
            if kind(e) == tx.ACCREDITATION_REVOKE else e
            for e in body["entries"]
        ]  # fmt: skip
        return Answer.of_json({**body, "accredited": True,
                               "accreditation": mirrored.accreditation})  # fmt: skip

    mirrored.refuses(lie, INCLUSION_PROOF_INVALID, tmp_path / "client" / TRUST_FILE)


def test_a_revocation_left_out_is_refused(mirrored: Mirrored, tmp_path: Path) -> None:
    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if path != "/accreditations" or answer.status != 200:
            return None
        body = answer.json()
        kept = [e for e in body["entries"] if kind(e) != tx.ACCREDITATION_REVOKE]
        return Answer.of_json({**body, "entries": kept, "accredited": True,
                               "accreditation": mirrored.accreditation})  # fmt: skip

    mirrored.refuses(lie, MAP_PROOF_INVALID, tmp_path / "client" / TRUST_FILE)


def test_an_older_status_list_told_as_the_latest_is_refused(
    mirrored: Mirrored, tmp_path: Path
) -> None:
    """The list's first version (index 9 not yet revoked), genuine and proven, as if no
    later one were logged."""
    first = mirrored.first_list.seq

    def lie(path: str, _: dict[str, str], answer: Answer) -> Answer | None:
        if path != "/status-lists" or answer.status != 200:
            return None
        body = answer.json()
        entries = [e for e in body["entries"] if int(e["seq"]) <= first]
        return Answer.of_json({**body, "seq": first, "entries": entries})

    mirrored.refuses(lie, MAP_PROOF_INVALID, tmp_path / "client" / TRUST_FILE,
                     mirrored.status_of_9)  # fmt: skip
