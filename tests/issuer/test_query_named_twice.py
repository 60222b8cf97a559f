"""A query parameter given twice is refused (request_invalid) by the staff API, where the
framework took the last (``?limit=1&limit=2`` was a page of 2, while a proxy or a log in front
may read the first)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cli.harness import free_port, serving
from issuer.app import create_app
from tests.issuer.conftest import Env


@pytest.fixture
def staff(env: Env) -> Iterator[httpx.Client]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        headers = {"authorization": f"Bearer {env.keys['alice']}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            yield client


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/staff/offers?limit=1&limit=2", "limit"),
        ("/staff/offers?record=a&offset=0&record=b", "record"),
        ("/staff/credentials?status=valid&status=revoked", "status"),
        ("/staff/audit?limit=5&after=0&limit=1", "limit"),
        ("/staff/offers/x/qr?format=svg&format=png", "format"),
    ],
)
def test_a_parameter_given_twice_is_refused(staff: httpx.Client, path: str, name: str) -> None:
    answer = staff.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "request_invalid"
    assert answer.json()["error_description"] == f"query parameter {name!r} given more than once"


def test_a_post_with_a_parameter_twice_is_refused_before_it_offers(
    staff: httpx.Client, env: Env
) -> None:
    answer = staff.post("/staff/offers?qr=true&qr=false", json={})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "request_invalid"
    assert "'qr' given more than once" in answer.json()["error_description"]


def test_once_each_is_answered(staff: httpx.Client) -> None:
    answer = staff.get("/staff/offers?limit=1&offset=0")
    assert answer.status_code == 200, answer.text
