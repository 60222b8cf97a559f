"""Issuance by rule: the agency issues a senior transit pass at once to a holder whose
presentation satisfies its rule's policy, judged by the kernel's checks; otherwise the holder
is told exactly which condition failed. The version in force at the request applies; a
withdrawal since refuses; a replayed presentation is refused; every decision is logged
without personal data and counted per rule."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from typer.testing import CliRunner

from civicid import sdjwt
from civicid import transaction as tx
from civicid.errors import Error
from civicid.identity import Identity
from civicid.issuance_rules import publish_body, withdraw_body
from civicid.jose import CompactJWS
from civicid.policy import CREDENTIAL_QUERY_ID
from cli.demo_rules import RULE, SENIOR, VOUCHER, senior_pass_type, voucher_type
from cli.harness import free_port, wait_until_healthy
from cli.main import app
from issuer.by_rule import RESPONSE_PATH, RuleIssuance, RuleRequest
from issuer.rule_requests import FILE
from issuer.service import Issuer
from issuer.settings import ConfigurationSettings
from tests.issuer.conftest import CONFIG, NATIONAL_ID, ROOT, Clock, Env, LedgerWorld, make_env
from tests.issuer.holder import Holder, InProcess
from tests.rules.world import POLICY

SENIOR_CONFIG = "senior_transit_pass"
CIVICID = str(Path(sys.executable).parent / "civicid")
# A served issuer imports the whole command line first: slow on a loaded machine.
STARTUP = 90.0
SENIOR_CLAIMS: dict[str, Any] = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birthdate": "1950-12-10",
    "resident": True,
    "age_equal_or_over": {"18": True, "65": True},
}
ASKED = [("given_name",), ("family_name",), ("resident",), ("age_equal_or_over", "65")]


@pytest.fixture(scope="module")
def pass_type(ledger_world: LedgerWorld) -> str:
    """The pass type, registered once on the module's ledger by the transport authority."""
    owner = ledger_world.register("agency")
    ledger_world.accredit(owner, [SENIOR])
    ledger_world.submit(owner, tx.CREDENTIAL_TYPE, senior_pass_type())
    ledger_world.accredit(owner, [VOUCHER])
    ledger_world.submit(owner, tx.CREDENTIAL_TYPE, voucher_type())
    return SENIOR


@pytest.fixture
def env(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    clock: Clock,
    pass_type: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Env]:
    def agency(base_url: str | None = None) -> tuple[Identity, str]:
        who = ledger_world.register("agency", base_url)
        return who, ledger_world.accredit(who, [NATIONAL_ID, pass_type, VOUCHER])

    monkeypatch.setattr(ledger_world, "agency", agency)
    made = make_env(
        tmp_path,
        ledger_world,
        clock,
        configurations=[
            ConfigurationSettings(id=CONFIG, vct=NATIONAL_ID, batch_size=3),
            ConfigurationSettings(id=SENIOR_CONFIG, vct=pass_type),
            ConfigurationSettings(id="voucher", vct=VOUCHER),
        ],
    )
    publish(made, 1)
    yield made
    made.issuer.close()


def publish(env: Env, version: int, policy: dict[str, Any] | None = None) -> None:
    body = publish_body(
        name=RULE, version=version, vct=SENIOR, policy=policy or POLICY,
        claims={"concession": "senior"}, copy=["given_name", "family_name"],
    )  # fmt: skip
    env.world.submit(env.agency, tx.ISSUANCE_RULE, body)


def national_id(env: Env, claims: dict[str, Any]) -> tuple[str, Holder]:
    created = env.issuer.create_offer(
        env.clerk(), configuration=CONFIG, record="R-1", claims=claims
    )
    holder = Holder(InProcess(env.issuer))
    [credential] = holder.receive(created.link, created.tx_code, now=env.clock())
    env.issuer.publish()  # its status list is on the ledger before anyone checks it
    return credential, holder


def answer(
    env: Env, asked: RuleRequest, credential: str, holder: Holder, disclose: Any = None
) -> dict[str, str]:
    presentation = sdjwt.present(
        credential,
        disclose=ASKED if disclose is None else disclose,
        holder_key=holder.keys[0],
        nonce=asked.request.nonce,
        aud=asked.request.client_id,
        iat=env.clock(),
    )
    vp_token = json.dumps({CREDENTIAL_QUERY_ID: [presentation]})
    return {"state": asked.request.state, "vp_token": vp_token}


def test_a_senior_is_issued_the_pass_at_once(env: Env) -> None:
    credential, holder = national_id(env, SENIOR_CLAIMS)
    desk = RuleIssuance(env.issuer)
    asked = desk.request(RULE)
    assert asked.version == 1 and asked.request.client_id.endswith(env.agency.did)
    outcome = desk.respond(answer(env, asked, credential, holder))
    assert outcome.issued, outcome.to_json()
    assert outcome.to_json()["redirect_uri"].startswith("openid-credential-offer://")
    assert outcome.offer is not None
    [senior_pass] = Holder(InProcess(env.issuer)).receive(outcome.offer.link, None, now=env.clock())
    claims = sdjwt.process_disclosures(sdjwt.parse(senior_pass)).claims
    assert (claims["vct"], claims["concession"], claims["family_name"]) == (
        SENIOR,
        "senior",
        "Lovelace",
    )
    assert desk.counted() == [{"rule": RULE, "version": 1, "outcome": "issued", "count": 1}]


@pytest.mark.parametrize(
    ("claims", "disclose", "code", "words"),
    [
        ({**SENIOR_CLAIMS, "age_equal_or_over": {"18": True, "65": False}}, None,
         "predicate_failed", "age is at least 65"),
        ({**SENIOR_CLAIMS, "resident": False}, None, "predicate_failed", "resident: yes"),
        (SENIOR_CLAIMS, ASKED[1:], "claim_missing", "given_name was not disclosed"),
    ],
    ids=["under-65", "not-resident", "name-withheld"],
)  # fmt: skip
def test_each_condition_of_the_rule_refuses_with_its_own_reason(
    env: Env, claims: dict[str, Any], disclose: Any, code: str, words: str
) -> None:
    credential, holder = national_id(env, claims)
    desk = RuleIssuance(env.issuer)
    asked = desk.request(RULE)
    outcome = desk.respond(answer(env, asked, credential, holder, disclose))
    assert not outcome.issued and outcome.code == code, outcome.to_json()
    assert outcome.reason is not None and words in outcome.reason, outcome.reason
    assert desk.counted() == [{"rule": RULE, "version": 1, "outcome": "refused", "count": 1}]
    # The log keeps the rule, version, outcome and code: no claim, name or value.
    [event] = [e for e in env.issuer.audit(limit=500) if e.action == "rule.decision"]
    assert (event.subject, event.outcome, event.detail) == (
        RULE,
        code,
        {"version": 1, "outcome": "refused"},
    )
    assert event.record is None


def test_a_rule_withdrawn_between_the_request_and_the_presentation(env: Env) -> None:
    credential, holder = national_id(env, SENIOR_CLAIMS)
    desk = RuleIssuance(env.issuer)
    asked = desk.request(RULE)
    body = withdraw_body(name=RULE, version=2, reason="The scheme has ended")
    env.world.submit(env.agency, tx.ISSUANCE_RULE_WITHDRAW, body)
    outcome = desk.respond(answer(env, asked, credential, holder))
    assert not outcome.issued and outcome.code == "issuance_rule_withdrawn", outcome.to_json()
    assert "withdrawn" in (outcome.reason or "")
    with pytest.raises(Error) as info:
        desk.request(RULE)
    assert info.value.code == "issuance_rule_withdrawn"


def test_the_version_in_force_at_the_request_applies(env: Env) -> None:
    credential, holder = national_id(env, SENIOR_CLAIMS)
    desk = RuleIssuance(env.issuer)
    asked = desk.request(RULE)
    # Version 2 asks for more (a birth date); the holder answers version 1's request.
    publish(env, 2, {**POLICY, "required_claims": [*POLICY["required_claims"], "birthdate"]})
    outcome = desk.respond(answer(env, asked, credential, holder))
    assert outcome.issued and outcome.version == 1, outcome.to_json()
    assert desk.request(RULE).version == 2


def test_a_replayed_presentation_is_refused(env: Env) -> None:
    credential, holder = national_id(env, SENIOR_CLAIMS)
    desk = RuleIssuance(env.issuer)
    asked = desk.request(RULE)
    form = answer(env, asked, credential, holder)
    assert desk.respond(form).issued
    with pytest.raises(Error) as info:
        desk.respond(form)  # the same answer again
    assert info.value.code == "presentation_replayed"
    # The same presentation to a new request: bound to the old nonce.
    fresh = desk.request(RULE)
    outcome = desk.respond({**form, "state": fresh.request.state})
    assert not outcome.issued and outcome.code == "kb_nonce_mismatch", outcome.to_json()
    assert len([c for c in desk.counted() if c["outcome"] == "issued"]) == 1


# A holder of the national ID failing one condition of the senior pass's rule each.
FAILING_ONE_CONDITION = [
    {**SENIOR_CLAIMS, "resident": False},
    {**SENIOR_CLAIMS, "age_equal_or_over": {"18": True, "65": False}},
]


def decided(env: Env, claims: dict[str, Any]) -> Any:
    """What the issuer decides, by its rule, for a holder of a national ID with ``claims``."""
    credential, holder = national_id(env, claims)
    desk = RuleIssuance(env.issuer)
    return desk.respond(answer(env, desk.request(RULE), credential, holder))


def test_the_rules_commands_publish_list_and_withdraw(env: Env) -> None:
    runner = CliRunner()
    rule_file = ROOT / "examples" / "rules" / f"{RULE}.toml"
    where = ["--data-dir", str(env.data_dir), "--json"]
    published = runner.invoke(app, ["issuer", "rules", "publish", str(rule_file), *where])
    assert published.exit_code == 0, published.output
    assert json.loads(published.stdout)["version"] == 2  # the fixture published version 1
    listed = runner.invoke(app, ["issuer", "rules", "list", *where])
    [rule] = json.loads(listed.stdout)
    assert (rule["rule"], rule["version"], rule["withdrawn"]) == (RULE, 2, False)
    assert len(rule["conditions"]) == len(tomllib.loads(rule_file.read_text())["predicates"])
    # As a clerk reads them, not as Python ("resident is True").
    text = runner.invoke(app, ["issuer", "rules", "list", "--data-dir", str(env.data_dir)])
    assert "resident: yes" in text.stdout and "True" not in text.stdout, text.output
    args = ["issuer", "rules", "withdraw", RULE, "--reason", "The scheme has ended", *where]
    withdrawn = runner.invoke(app, args)
    assert json.loads(withdrawn.stdout)["withdrawn"] is True
    again = runner.invoke(app, args)
    assert again.exit_code != 0
    assert "[issuance_rule_withdrawn]" in again.stderr
    with pytest.raises(Error) as info:
        RuleIssuance(env.issuer).request(RULE)
    assert info.value.code == "issuance_rule_withdrawn"


def test_the_conditions_listed_are_those_the_issuer_applies(env: Env) -> None:
    """Not their words (which the list pinned once, and which would pass a rule applied
    otherwise than it reads): each listed condition is the reason a holder failing it alone
    is refused with, by the version the list shows, and a holder meeting all is issued."""
    rule_file = ROOT / "examples" / "rules" / f"{RULE}.toml"
    where = ["--data-dir", str(env.data_dir), "--json"]
    runner = CliRunner()
    published = runner.invoke(app, ["issuer", "rules", "publish", str(rule_file), *where])
    assert published.exit_code == 0, published.output
    [rule] = json.loads(runner.invoke(app, ["issuer", "rules", "list", *where]).stdout)
    conditions = rule["conditions"]
    assert len(conditions) == len(FAILING_ONE_CONDITION)  # one holder failing each
    named = []
    for claims in FAILING_ONE_CONDITION:
        outcome = decided(env, claims)
        assert not outcome.issued and outcome.code == "predicate_failed", outcome.to_json()
        assert outcome.version == rule["version"]
        named += [c for c in conditions if c in (outcome.reason or "")]
    assert sorted(named) == sorted(conditions)  # each failing holder named one, each once
    assert decided(env, SENIOR_CLAIMS).issued


def test_an_answer_to_no_request_or_too_late(env: Env) -> None:
    credential, holder = national_id(env, SENIOR_CLAIMS)
    desk = RuleIssuance(env.issuer)
    asked = desk.request(RULE)
    form = answer(env, asked, credential, holder)
    with pytest.raises(Error) as info:
        desk.respond({**form, "state": "s" * 22})
    assert info.value.code == "rule_request_unknown"
    env.clock.offset += 301  # past the five minutes a request lives
    with pytest.raises(Error) as info:
        desk.respond(form)
    assert info.value.code == "rule_request_expired"
    assert desk.counted() == []  # no decision was made, none counted


def test_a_single_use_credential_is_issued_as_one_copy(env: Env) -> None:
    """Each copy has its own status entry, the key of a redemption: two copies of a voucher
    would be two vouchers."""
    created = env.issuer.create_offer(
        env.clerk(), configuration="voucher", record="AID-1", claims={"programme": "winter-aid"}
    )
    with pytest.raises(Error) as info:
        Holder(InProcess(env.issuer)).receive(
            created.link, created.tx_code, copies=2, now=env.clock()
        )
    assert info.value.code == "batch_too_large"
    again = env.issuer.create_offer(
        env.clerk(), configuration="voucher", record="AID-2", claims={"programme": "winter-aid"}
    )
    [voucher] = Holder(InProcess(env.issuer)).receive(again.link, again.tx_code, now=env.clock())
    assert sdjwt.process_disclosures(sdjwt.parse(voucher)).claims["vct"] == VOUCHER


def test_a_waiting_request_survives_a_restart(env: Env) -> None:
    """Kept on disk before the wallet sees it: an issuer opened again (its memory empty, the
    rule version read again from the ledger) answers it; the same answer again is a replay,
    however many times the issuer starts."""
    credential, holder = national_id(env, SENIOR_CLAIMS)
    asked = RuleIssuance(env.issuer).request(RULE)
    form = answer(env, asked, credential, holder)
    env.issuer.close()
    env.issuer = Issuer.open(env.settings, clock=env.clock)
    outcome = RuleIssuance(env.issuer).respond(form)
    assert outcome.issued and outcome.version == 1, outcome.to_json()
    env.issuer.close()
    env.issuer = Issuer.open(env.settings, clock=env.clock)
    with pytest.raises(Error) as info:
        RuleIssuance(env.issuer).respond(form)
    assert info.value.code == "presentation_replayed"


def test_the_file_of_waiting_requests_unwritable(env: Env) -> None:
    (env.settings.store_dir / FILE).mkdir()  # a directory where the file should be
    with pytest.raises(Error) as info:
        RuleIssuance(env.issuer)
    assert info.value.code == "rule_requests_damaged"  # as the issuer store tells one


def test_a_request_survives_kill_9_of_the_issuer_serving_it(env: Env) -> None:
    """``civicid issuer serve`` makes the request, is killed (-9) before the answer, and a new
    process answers it: issued."""
    credential, holder = national_id(env, SENIOR_CLAIMS)
    env.issuer.close()  # the served processes own the store now
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [CIVICID, "issuer", "serve", "--data-dir", str(env.data_dir), "--port", str(port)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(url, alive=lambda: first.poll() is None, timeout=STARTUP)
        made = httpx.post(f"{url}/rules/{RULE}/requests", timeout=30)
        assert made.status_code == 201, made.text
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    claims = json.loads(CompactJWS.parse(made.json()["request"]).payload)
    request = SimpleNamespace(**{k: claims[k] for k in ("nonce", "state", "client_id")})
    # Only what ``answer`` reads of a RuleRequest: the request's nonce, state and client id.
    asked = cast("RuleRequest", SimpleNamespace(request=request))
    form = answer(env, asked, credential, holder)
    second = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(url, alive=lambda: second.poll() is None, timeout=STARTUP)
        decided = httpx.post(f"{url}{RESPONSE_PATH}", data=form, timeout=30)
        again = httpx.post(f"{url}{RESPONSE_PATH}", data=form, timeout=30)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert decided.status_code == 200, decided.text
    assert decided.json()["issued"] is True and decided.json()["version"] == 1
    assert again.status_code == 403 and again.json()["error"] == "presentation_replayed"
