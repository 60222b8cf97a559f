"""A clerk finds what was issued (``credentials`` by record and status, over the staff API)
and undoes it only when meant: revoke and suspend ask first in a terminal, and without one
are refused unless ``--yes``; a record given for an id is answered with its ids."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from civicid.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from cli.harness import free_port, serving
from cli.main import app
from issuer import staff_cli
from issuer.app import create_app
from issuer.records import Issued
from tests.issuer.conftest import Env, refused, state
from tests.issuer.test_status import issue

runner = CliRunner()


@pytest.fixture
def served(env: Env) -> Iterator[str]:
    with serving(create_app(issuer=env.issuer, background=False), free_port()) as url:
        yield url


def civicid(
    env: Env, served: str, *args: str, clerk: str = "alice", answer: str | None = None
) -> tuple[int, str, str]:
    base = ["--data-dir", str(env.data_dir), "--url", served, "--api-key", env.keys[clerk]]
    result = runner.invoke(app, ["issuer", *args, *base], input=answer)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def issued(env: Env) -> dict[str, Issued]:
    made = {r: issue(env, record=r) for r in ("R-1", "R-2", "R-3")}
    made["R-2b"] = issue(env, record="R-2", copies=2)
    env.issuer.set_status(env.clerk(), made["R-3"].id, "suspend")
    return made


def status_of(env: Env, one: Issued) -> int:
    return env.issuer.credential(one.id).status


def test_credentials_by_record(env: Env, served: str, issued: dict[str, Issued]) -> None:
    code, out, err = civicid(env, served, "credentials", "--record", "R-2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "2 credentials, newest first"
    assert [line.split()[0] for line in lines[1:]] == [issued["R-2b"].id, issued["R-2"].id]
    assert all(line.split()[1] == "R-2" for line in lines[1:])
    assert lines[1].endswith("  2 copies")


def test_credentials_by_status_as_json(env: Env, served: str, issued: dict[str, Issued]) -> None:
    code, out, err = civicid(env, served, "credentials", "--status", "suspended", "--json")
    assert code == 0, err
    found = json.loads(out)["credentials"]
    assert [(c["id"], c["record"], c["status"]) for c in found] == [
        (issued["R-3"].id, "R-3", "suspended")
    ]
    code, out, _ = civicid(env, served, "credentials", "--limit", "2", "--json")
    assert len(json.loads(out)["credentials"]) == 2


def test_credentials_none_found(env: Env, served: str, issued: dict[str, Issued]) -> None:
    code, out, _ = civicid(env, served, "credentials", "--record", "R-404")
    assert code == 0
    assert out.strip() == "no issued credentials for record R-404"


def test_credentials_refuses_an_unknown_status(env: Env, served: str) -> None:
    code, _, err = civicid(env, served, "credentials", "--status", "lost")
    assert code != 0
    assert "Traceback" not in err


def test_credentials_needs_a_read_scope(env: Env, served: str) -> None:
    answer = httpx.get(
        f"{served}/staff/credentials", headers={"authorization": f"Bearer {env.keys['root']}"}
    )
    assert answer.status_code == 200  # admin reads everything
    code, _, err = civicid(env, served, "credentials", clerk="bob")  # issue scope: reads
    assert code == 0, err


def test_a_record_given_for_an_id_is_answered_with_its_ids(
    env: Env, served: str, issued: dict[str, Issued]
) -> None:
    error = refused(
        env, lambda: env.issuer.set_status(env.clerk(), "R-2", "revoke"), "credential_not_found"
    )
    assert issued["R-2"].id in error.message and issued["R-2b"].id in error.message
    assert "civicid issuer credentials --record R-2" in error.message
    code, _, err = civicid(env, served, "revoke", "R-2", "--yes")
    assert code != 0
    assert err.strip().endswith("[credential_not_found]")
    assert issued["R-2"].id in err
    error = refused(
        env, lambda: env.issuer.set_status(env.clerk(), "R-404", "revoke"), "credential_not_found"
    )
    assert error.message == "no issued credential 'R-404'"


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_without_a_terminal_and_without_yes_nothing_changes(
    env: Env, served: str, issued: dict[str, Issued], action: str
) -> None:
    target = issued["R-1"]
    before = state(env)
    code, _, err = civicid(env, served, action, target.id)
    assert code != 0
    assert err.strip() == (
        f"error: pass --yes to {action} {target.id!r} without a question "
        "[issuer_confirmation_required]"
    )
    assert state(env) == before
    assert status_of(env, target) == STATUS_VALID


@pytest.mark.parametrize(
    ("action", "status"), [("revoke", STATUS_INVALID), ("suspend", STATUS_SUSPENDED)]
)
def test_with_yes(
    env: Env, served: str, issued: dict[str, Issued], action: str, status: int
) -> None:
    code, out, err = civicid(env, served, action, issued["R-1"].id, "--yes")
    assert code == 0, err
    assert f"is now {action.replace('suspend', 'suspended').replace('revoke', 'revoked')}" in out
    assert status_of(env, issued["R-1"]) == status


def test_in_a_terminal_revoke_asks_and_no_changes_nothing(
    env: Env, served: str, issued: dict[str, Issued], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff_cli, "interactive", lambda: True)
    target = issued["R-1"]
    before = state(env)
    code, _, err = civicid(env, served, "revoke", target.id, answer="n\n")
    assert code != 0
    assert f"Revoke {target.id} (record R-1, national_id, issued " in err
    assert "now valid)? This is final." in err
    assert err.strip().endswith("[issuer_confirmation_declined]")
    assert state(env) == before
    code, _, err = civicid(env, served, "revoke", target.id, answer="\n")  # the default: no
    assert code != 0 and err.strip().endswith("[issuer_confirmation_declined]")
    assert status_of(env, target) == STATUS_VALID


def test_in_a_terminal_suspend_asks_and_yes_does_it(
    env: Env, served: str, issued: dict[str, Issued], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff_cli, "interactive", lambda: True)
    target = issued["R-1"]
    code, out, err = civicid(env, served, "suspend", target.id, answer="y\n")
    assert code == 0, err
    assert f"Suspend {target.id} (record R-1" in err
    assert "is now suspended" in out
    assert status_of(env, target) == STATUS_SUSPENDED
    # Lifting a suspension takes nothing away: it does not ask.
    code, out, err = civicid(env, served, "reinstate", target.id)
    assert code == 0, err
    assert status_of(env, target) == STATUS_VALID


def test_in_a_terminal_an_unknown_id_is_refused_before_any_question(
    env: Env, served: str, issued: dict[str, Issued], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff_cli, "interactive", lambda: True)
    code, _, err = civicid(env, served, "revoke", "R-3", answer="y\n")
    assert code != 0
    assert "Revoke" not in err
    assert err.strip().endswith("[credential_not_found]")
    assert status_of(env, issued["R-3"]) == STATUS_SUSPENDED


def test_an_id_is_sent_as_one_path_segment(
    env: Env, served: str, issued: dict[str, Issued]
) -> None:
    """``../../publish`` is no id, and no way to reach another route either."""
    code, _, err = civicid(env, served, "revoke", "../../publish", "--yes")
    assert code != 0
    assert err.strip().endswith("[route_not_found]"), err
    assert env.issuer.lists.pending() == 1  # R-3's suspension: published by nobody


def test_an_answer_not_of_the_staff_apis_model_is_refused(tmp_path: object) -> None:
    """The command reads the issuer's answer through the model the issuer declares
    (civicid.wire.staff): an answer of another shape is one line with its code, no
    traceback, nothing printed as if it were a list."""
    from fastapi import FastAPI

    lying = FastAPI()

    @lying.get("/staff/credentials")
    async def credentials() -> dict[str, object]:
        return {"credentials": [{"id": "c1", "record": "R", "status": "valid"}]}

    @lying.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    with serving(lying, free_port()) as url:
        result = runner.invoke(
            app,
            ["issuer", "credentials", "--data-dir", str(tmp_path), "--url", url],
            env={"CIVICID_ISSUER_API_KEY": "cik_x"},
        )
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.stderr.strip().endswith("[wire_malformed]")
    assert "credentials, newest first" not in result.stdout


def test_an_offset_beyond_any_store_is_refused_not_a_server_error(env: Env, served: str) -> None:
    """An offset past the database's 64-bit integers was a 500; it is bad input (400)."""
    answer = httpx.get(
        f"{served}/staff/credentials",
        params={"offset": 2**63},
        headers={"authorization": f"Bearer {env.keys['root']}"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "request_invalid", answer.json()
