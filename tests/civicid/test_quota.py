"""``civicid.quota``: the requests a desk starts within a request's lifetime, bounded per
client and in all; a refusal names its code and when a place is free again, and takes no
place; places come back as requests expire (answered or not), or when a request was not
stored after all."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.quota import RequestQuota, client_of
from verifier.errors import DESK_REQUESTS_FULL

TTL = 300


def refused(quota: RequestQuota, client: str, now: int, code: str) -> Error:
    held = quota.held()
    with pytest.raises(Error) as caught:
        quota.take(client, now, now + TTL)
    assert caught.value.code == code
    assert quota.held() == held  # a refusal holds no place
    return caught.value


def test_one_client_is_held_to_its_share() -> None:
    quota = RequestQuota(total=10, per_client=3, full=DESK_REQUESTS_FULL)
    for second in range(3):
        quota.take("a", 1000 + second, 1000 + second + TTL)
    error = refused(quota, "a", 1010, "client_requests_full")
    assert error.http_status == 429
    assert error.details == {"retry_after": 1000 + TTL - 1010}  # when its first expires
    quota.take("b", 1010, 1010 + TTL)  # another client is not
    assert quota.held("a") == 3 and quota.held("b") == 1


def test_the_desk_is_held_to_its_total() -> None:
    quota = RequestQuota(total=3, per_client=2, full=DESK_REQUESTS_FULL)
    quota.take("a", 1000, 1000 + TTL)
    quota.take("a", 1001, 1001 + TTL)
    quota.take("b", 1002, 1002 + TTL)
    error = refused(quota, "c", 1100, "desk_requests_full")
    assert error.http_status == 503
    assert error.details == {"retry_after": 1000 + TTL - 1100}


def test_places_come_back_when_requests_expire() -> None:
    quota = RequestQuota(total=2, per_client=2, full=DESK_REQUESTS_FULL)
    quota.take("a", 1000, 1000 + TTL)
    quota.take("a", 1100, 1100 + TTL)
    refused(quota, "a", 1000 + TTL - 1, "client_requests_full")
    quota.take("a", 1000 + TTL, 1000 + 2 * TTL)  # the first expired: its place is free
    refused(quota, "b", 1000 + TTL, "desk_requests_full")
    assert quota.held("a") == 2


def test_retry_after_is_at_least_a_second() -> None:
    quota = RequestQuota(total=1, per_client=1, full=DESK_REQUESTS_FULL)
    quota.take("a", 1000, 1000)  # expires at once: a clock that stepped back
    error = refused(quota, "a", 999, "client_requests_full")
    assert error.details == {"retry_after": 1}


def test_a_place_given_back_is_free_again() -> None:
    quota = RequestQuota(total=1, per_client=1, full=DESK_REQUESTS_FULL)
    ticket = quota.take("a", 1000, 1000 + TTL)
    refused(quota, "b", 1001, "desk_requests_full")
    quota.give_back(ticket)
    quota.give_back(ticket)  # twice is once
    assert quota.held() == 0 and quota.held("a") == 0
    quota.take("b", 1002, 1002 + TTL)


@pytest.mark.parametrize(
    ("host", "client"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),  # another address of the same /64
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4 on an IPv6 socket: the IPv4 client
        ("testclient", "testclient"),
        (None, ""),
    ],
)
def test_a_client_is_its_address_or_its_ipv6_prefix(host: str | None, client: str) -> None:
    assert client_of(host) == client
