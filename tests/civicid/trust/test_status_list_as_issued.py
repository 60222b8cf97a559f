"""A status list as its own agency issued it, for rebuilding a lost store: the latest token
proven and signed, whatever its age (checked as of its own iat when past its exp or ttl),
and refused when another DID owns it. A decision about a credential never reads it so."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from civicid.errors import Error, NotFound, declare
from civicid.identity import Identity
from civicid.status_list import StatusList, build_token, verify_token
from civicid.trust import Trust

URI = "https://agency.example/status/1"
NOW = 1_800_000_000
LIST_ABSENT = declare("test_list_absent", NotFound, "a stand-in absence for these tests")


@dataclass
class Proven:
    uri: str
    owner: str
    seq: int
    token: object


@dataclass
class Ledger:
    """Holds one agency's token; answers as the proving client does (signature, sub and
    times checked at the ``now`` asked about); every question it was asked."""

    owner: Identity
    token: str | None
    asked: list[tuple[str, int]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def status_list(self, uri: str, *, now: int) -> Proven:
        self.asked.append((uri, now))
        if self.token is None:
            raise LIST_ABSENT(f"no list at {uri}")
        verified = verify_token(self.token, self.owner.key.public, expected_sub=uri, now=now)
        return Proven(uri, self.owner.did, 7, verified)

    def status_list_token(self, uri: str) -> str:
        self.raw.append(uri)
        assert self.token is not None
        return self.token


@pytest.fixture(scope="module")
def agency() -> Identity:
    return Identity.create()


def ledger_of(agency: Identity, *, exp: int | None = None, ttl: int | None = None) -> Ledger:
    statuses = StatusList(size=16, bits=2)
    statuses.set(3, 1)
    token = build_token(
        key=agency.key, kid=agency.kid, sub=URI, status_list=statuses, iat=NOW, exp=exp, ttl=ttl
    )
    return Ledger(agency, token)


def trust_of(ledger: Ledger, clock: int = NOW + 10) -> Trust:
    return Trust(ledger, clock=lambda: clock)  # type: ignore[arg-type]


def code_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(Error) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code


def test_a_current_list_is_read_once_at_the_time_given(agency: Identity) -> None:
    ledger = ledger_of(agency, exp=NOW + 100)
    proven = trust_of(ledger).status_list_as_issued(URI, issuer=agency.did, now=NOW + 50)
    assert proven.token.status_list.get(3) == 1
    assert ledger.asked == [(URI, NOW + 50)] and ledger.raw == []


def test_without_a_time_the_clock_is_the_time(agency: Identity) -> None:
    ledger = ledger_of(agency, exp=NOW + 100)
    trust_of(ledger, clock=NOW + 20).status_list_as_issued(URI, issuer=agency.did)
    assert ledger.asked == [(URI, NOW + 20)]


@pytest.mark.parametrize(("exp", "ttl"), [(NOW + 100, None), (None, 100)])
def test_a_list_past_its_exp_or_ttl_is_read_as_of_its_own_iat(
    agency: Identity, exp: int | None, ttl: int | None
) -> None:
    """A decision refuses it (status_list_expired, status_list_stale); the agency that
    rebuilds its store reads it whole, proven and signed all the same."""
    ledger = ledger_of(agency, exp=exp, ttl=ttl)
    late = NOW + 1000
    refused = code_of(trust_of(ledger).status_list, URI, issuer=agency.did, now=late)
    assert refused == ("status_list_expired" if exp else "status_list_stale")
    ledger.asked.clear()
    proven = trust_of(ledger).status_list_as_issued(URI, issuer=agency.did, now=late)
    assert proven.token.status_list.get(3) == 1 and proven.token.iat == NOW
    assert ledger.asked == [(URI, late), (URI, NOW)] and ledger.raw == [URI]


def test_a_list_another_owns_is_refused(agency: Identity) -> None:
    for ledger in (ledger_of(agency, exp=NOW + 100), ledger_of(agency, exp=NOW + 1)):
        trust = trust_of(ledger)
        code = code_of(trust.status_list_as_issued, URI, issuer="did:civicid:" + "b" * 32)
        assert code == "status_list_not_issuers"


def test_any_other_failure_is_not_retried(agency: Identity) -> None:
    absent = Ledger(agency, None)
    assert code_of(trust_of(absent).status_list_as_issued, URI, issuer=agency.did) == (
        "test_list_absent"
    )
    assert len(absent.asked) == 1 and absent.raw == []
    forged = ledger_of(agency, exp=NOW + 100)
    forged.owner = Identity.create()  # the ledger names another key than the one that signed
    code = code_of(trust_of(forged).status_list_as_issued, URI, issuer=agency.did)
    assert code == "jws_signature_invalid"
    assert len(forged.asked) == 1 and forged.raw == []
