"""What a clerk lists: offers newest first, of one record or of all, a page at an offset, never
more than a page however many are asked for; issued credentials and audit events likewise."""

from __future__ import annotations

import pytest

import issuer.service
from tests.issuer.conftest import Env
from tests.issuer.test_bad_input import offer
from tests.issuer.test_status import issue

PAGE = 3  # a page for the test, in place of MAX_PAGE


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(issuer.service, "MAX_PAGE", PAGE)


def test_offers_newest_first_by_record_and_a_page_at_most(env: Env, small_pages: None) -> None:
    made = [offer(env, record=f"REG-{n % 2}").offer.id for n in range(6)]  # 0 1 0 1 0 1

    def listed(record: str | None, limit: int, offset: int) -> list[str]:
        return [o.id for o in env.issuer.list_offers(record=record, limit=limit, offset=offset)]

    assert listed(None, 100, 0) == made[::-1][:PAGE]
    assert listed(None, 2, 0) == made[::-1][:2]
    assert listed(None, 100, 4) == made[::-1][4:]
    assert listed("REG-0", 100, 0) == [made[4], made[2], made[0]]
    assert listed("REG-1", 2, 1) == [made[3], made[1]]
    assert listed("REG-2", 100, 0) == []


def test_credentials_and_audit_a_page_at_most(env: Env, small_pages: None) -> None:
    made = [issue(env, record=f"REG-{n}").id for n in range(4)]
    listed = env.issuer.credentials(record=None, status=None, limit=100, offset=0)
    assert [i.id for i in listed] == made[::-1][:PAGE]
    assert len(env.issuer.audit(limit=100)) == PAGE
    assert len(env.issuer.audit(limit=2)) == 2
