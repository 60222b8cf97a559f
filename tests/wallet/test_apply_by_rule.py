"""Asking by a public rule, in the wallet: a refusal names the failed condition of the rule as
the ledger has it, in people words, with its code; the app shows it (Textual's pilot at
80x24), and what to do, from the wallet's own table."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList, Static
from textual.worker import WorkerCancelled

from civicid.did import DID
from civicid.issuance_rules import ISSUANCE_RULE_NOT_FOUND, RuleVersion
from civicid.policy import Policy
from cli.demo_rules import RULE, SENIOR, senior_rule
from tests.wallet.conftest import NOW, PASSPHRASE, made_up
from tests.wallet.painted import painted
from wallet.app import WalletApp
from wallet.errors import WALLET_RULE_MISMATCH
from wallet.holder.by_rule import Applied, RulePlan, refused, unmet
from wallet.holder.wallet import Wallet
from wallet.screens.access import UnlockScreen
from wallet.screens.apply import ApplyScreen
from wallet.screens.cards import CardsScreen
from wallet.screens.error import ADVICE, RULE_PUBLIC, ErrorModal

SIZE = (80, 24)
AGENCY = "http://127.0.0.1:9"  # never reached: the wallet's asking is replaced below


def version() -> RuleVersion:
    """Version 1 of the example rule (examples/rules/senior-transit.toml), as proven."""
    body = senior_rule()
    return RuleVersion(
        issuer=DID("did:civicid:agency"), name=RULE, version=1, time=NOW, seq=5, vct=SENIOR,
        policy=Policy.from_toml(body["policy"], "rule", name=RULE), claims=body["claims"],
        copy=tuple(body["copy"]),
    )  # fmt: skip


def answer(step: str, code: str, detail: str) -> dict[str, Any]:
    """The agency's direct_post answer (issuer/by_rule.py ``RuleOutcome.to_json``), refused."""
    return {
        "rule": RULE, "version": 1, "issued": False, "code": code, "failed_step": step,
        "reason": "The shared information does not meet this check's conditions. (…)",
        "detail": detail,
    }  # fmt: skip


@pytest.mark.parametrize(
    "step, code, detail, condition",
    [
        ("predicates", "predicate_failed", "not met: age is at least 65",
         "Not met: Age 65 or over"),
        ("predicates", "predicate_failed", "not met: resident: yes",
         "Not met: Resident must be yes"),
        ("claims", "claim_missing", "family_name was not disclosed",
         "Not shared: Family name"),
        # A condition the rule does not hold is not named: the agency only points at one.
        ("predicates", "predicate_failed", "not met: age is at least 18", None),
        ("rule", "issuance_rule_withdrawn", "withdrawn", None),
    ],
)  # fmt: skip
def test_a_refusal_names_the_rule_s_condition(
    step: str, code: str, detail: str, condition: str | None
) -> None:
    applied = refused(version(), answer(step, code, detail))
    assert (applied.code, applied.failed_step, applied.condition) == (code, step, condition)
    assert not applied.issued and applied.to_json()["condition"] == condition


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(2):
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def ask(pilot: Pilot[None], send: bool = True) -> None:
    """From the cards: a, the agency's address, the rule's name, Enter; then, what the rule
    asks shown, Enter on Send."""
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ApplyScreen)
    pilot.app.screen.query_one("#issuer", Input).value = AGENCY
    rule = pilot.app.screen.query_one("#rule", Input)
    rule.focus()
    await pilot.press(*RULE, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    if send and isinstance(screen, ApplyScreen) and screen.query_one("#actions").display:
        assert screen.focused is screen.query_one("#send")
        await pilot.press("enter")
        await settle(pilot)


def plan(not_met: str | None = None) -> RulePlan:
    """What a check of the agency's request finds: the example rule, asking two claims of a
    made-up card."""
    request: Any = SimpleNamespace(did="did:civicid:agency", purpose="Free transport at 65")
    paths = (("given_name",), ("family_name",))
    return RulePlan(request, version(), "Cadur transport", made_up(), "q", paths, not_met)


def asking(
    monkeypatch: pytest.MonkeyPatch, wallet: Wallet, apply: Callable[[str, str], Any]
) -> list[RulePlan]:
    """The wallet's asking replaced by ``apply``: what it raises comes at the check of the
    request (nothing sent), what it answers once the citizen sends; the plans sent."""
    sent: list[RulePlan] = []
    answers: dict[int, Any] = {}

    def prepare_apply(issuer: str, rule: str) -> RulePlan:
        checked = plan()
        answers[id(checked)] = apply(issuer, rule)
        return checked

    def send_apply(checked: RulePlan) -> Any:
        sent.append(checked)
        return answers[id(checked)]

    monkeypatch.setattr(wallet, "prepare_apply", prepare_apply)
    monkeypatch.setattr(wallet, "send_apply", send_apply)
    return sent


def shown(app: WalletApp) -> tuple[str, str, str]:
    screen = app.screen
    assert isinstance(screen, ErrorModal)
    title = str(screen.query_one(".dialog-title", Label).render())
    return (
        title,
        str(screen.query_one(".what", Static).render()),
        str(screen.query_one(".todo", Static).render()),
    )


@pytest.mark.asyncio
async def test_the_failed_condition_in_people_words(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str]] = []

    def apply(issuer: str, rule: str) -> Applied:
        asked.append((issuer, rule))
        return refused(version(), answer("predicates", "predicate_failed",
                                         "not met: age is at least 65"))  # fmt: skip

    asking(monkeypatch, wallet, apply)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        assert asked == [(AGENCY, RULE)]
        title, what, todo = shown(app)
        assert title == "Not issued by rule senior-transit v1"
        assert what == "Not met: Age 65 or over  [predicate_failed]"
        assert todo.startswith(RULE_PUBLIC.strip())
        await pilot.press("enter")  # OK: back to the form, to ask again
        await pilot.pause()
        assert isinstance(app.screen, ApplyScreen)
        assert not app.screen.query_one("#ask").disabled


@pytest.mark.asyncio
async def test_a_refusal_without_a_condition_says_what_its_code_means(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    withdrawn = answer("rule", "issuance_rule_withdrawn", "the rule has been withdrawn")
    asking(monkeypatch, wallet, lambda issuer, rule: refused(version(), withdrawn))
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        _, what, todo = shown(app)
        assert what.endswith("[issuance_rule_withdrawn]")
        assert what.startswith("The agency has withdrawn this rule")  # the code's plain words
        assert todo.startswith("The agency no longer issues by this rule.")


@pytest.mark.asyncio
async def test_a_request_beyond_the_rule_is_an_error_with_its_advice(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def apply(issuer: str, rule: str) -> Applied:
        raise WALLET_RULE_MISMATCH("the request is not the one rule senior-transit v1 makes")

    asking(monkeypatch, wallet, apply)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        title, what, todo = shown(app)
        assert title == "That did not work" and what.endswith("[wallet_rule_mismatch]")
        assert todo == ADVICE[WALLET_RULE_MISMATCH]


@pytest.mark.asyncio
async def test_nothing_is_asked_without_the_agency_and_the_rule(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    asking(monkeypatch, wallet, lambda issuer, rule: asked.append(rule))
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#ask")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen) and asked == []
        hint = str(app.screen.query_one("#progress", Label).render())
        assert hint == "Type the agency's address and the rule."


@pytest.mark.asyncio
async def test_issued_at_once_shows_the_new_card(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = made_up()
    asking(monkeypatch, wallet, lambda issuer, rule: Applied(rule, 1, (card,)))
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        screen = app.screen
        assert isinstance(screen, ApplyScreen)
        said = str(screen.query_one("#progress", Label).render())
        assert said.startswith("Issued by rule senior-transit v1, verified.")
        assert screen.query_one("#received", OptionList).option_count == 1
        assert not screen.query_one("#ask").display


@pytest.mark.asyncio
async def test_a_refusal_shown_before_the_lock_is_gone_after_unlocking(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal's message was read (or is old news): after the lock the task shows fresh,
    not the old refusal over it as if the agency had just answered."""
    asking(
        monkeypatch,
        wallet,
        lambda issuer, rule: refused(
            version(), answer("predicates", "predicate_failed", "not met: age is at least 65")
        ),
    )
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        before = app.screen_stack[-2]
        assert isinstance(app.screen, ErrorModal) and isinstance(before, ApplyScreen)
        app.action_lock()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and wallet.locked
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        assert not wallet.locked
        assert not any(isinstance(s, ErrorModal) for s in app.screen_stack)
        after = app.screen
        assert isinstance(after, ApplyScreen) and after is not before
        assert after.query_one("#rule", Input).value == ""
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CardsScreen)  # the stack as it was beneath


@pytest.mark.asyncio
async def test_an_error_shown_before_the_lock_is_closed_the_form_kept(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not an answer (the agency did not answer): the message goes, what was typed stays."""

    def unreachable(issuer: str, rule: str) -> Applied:
        raise WALLET_RULE_MISMATCH("the agency asked for more than its rule")

    asking(monkeypatch, wallet, unreachable)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        before = app.screen_stack[-2]
        assert isinstance(app.screen, ErrorModal) and isinstance(before, ApplyScreen)
        app.action_lock()
        await pilot.pause()
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        assert app.screen is before
        assert before.query_one("#rule", Input).value == RULE


@pytest.mark.asyncio
async def test_a_refusal_that_came_while_locked_waits_for_the_unlock(wallet: Wallet) -> None:
    """Not shown over the lock screen (to whoever stands at it), but once unlocked, over the
    screen it came for: it was not seen."""
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApplyScreen)
        app.action_lock()
        await pilot.pause()
        # The agency answers while the wallet is locked (the worker finishing then).
        screen.answered(
            refused(
                version(), answer("predicates", "predicate_failed", "not met: age is at least 65")
            )
        )
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert not any(isinstance(s, ErrorModal) for s in app.screen_stack)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        _, what, _ = shown(app)
        assert what == "Not met: Age 65 or over  [predicate_failed]"
        assert app.screen_stack[-2] is screen


@pytest.mark.asyncio
async def test_a_rule_not_found_points_at_where_rules_are_listed(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said only "Check the rule's name: the agency publishes it on the ledger.": where
    a person reads which rules there are is the ledger's transparency page."""

    def apply(issuer: str, rule: str) -> Applied:
        raise ISSUANCE_RULE_NOT_FOUND(f"{issuer} has no rule {rule!r}")

    asking(monkeypatch, wallet, apply)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        _, what, todo = shown(app)
        assert what.endswith("[issuance_rule_not_found]")
        assert "transparency page" in todo and "/transparency" in todo
        assert "lists every rule in force" in todo


@pytest.mark.asyncio
async def test_what_the_rule_asks_is_shown_and_nothing_sent_before_send(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It presented at once: the agency saw the citizen's name before the citizen saw that
    the rule asks for it."""
    card = made_up()
    sent = asking(monkeypatch, wallet, lambda issuer, rule: Applied(rule, 1, (card,)))
    declined: list[RulePlan] = []
    monkeypatch.setattr(wallet, "decline", lambda plan: declined.append(plan) or True)
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, send=False)
        screen = app.screen
        assert isinstance(screen, ApplyScreen) and sent == []
        said = screen_words(app)
        assert "Cadur transport" in said and "senior-transit v1, public on the ledger" in said
        assert "Free transport at 65" in said
        assert "from your National ID" in said and "Given name, Family name" in said
        assert "does not meet" not in said
        await pilot.click("#cancel")
        await settle(pilot)
        assert sent == [] and not screen.query_one("#plan").display and len(declined) == 1
        said = str(screen.query_one("#progress", Label).render())
        assert said == "Nothing was sent. The agency was told you said no."
        await ask_again(pilot)
        assert screen.query_one("#plan").display and sent == []
        await pilot.press("enter")  # Send
        await settle(pilot)
        assert len(sent) == 1
        assert screen.query_one("#received", OptionList).option_count == 1


def screen_words(app: WalletApp) -> str:
    """The screen's text as a person reads it, its lines joined (a panel wraps its values)."""
    return " ".join(" ".join(line.strip(" │╭╮╰╯─") for line in painted(app)[1]).split())


async def ask_again(pilot: Pilot[None]) -> None:
    pilot.app.screen.query_one("#rule", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.asyncio
async def test_a_card_that_does_not_meet_the_rule_is_said_before_sending(
    wallet: Wallet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wallet, "prepare_apply", lambda i, r: plan("Not met: Age 65 or over"))
    app = WalletApp(wallet.settings, wallet=wallet)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, send=False)
        screen = app.screen
        assert isinstance(screen, ApplyScreen)
        said = screen_words(app)
        assert "Your card does not meet the rule (Not met: Age 65 or over)" in said
        assert screen.focused is screen.query_one("#cancel")  # not Send, where Enter lands


@pytest.mark.parametrize(("over_65", "said"), [(False, "Not met: Age 65 or over"), (True, None)])
def test_the_rule_s_conditions_are_read_from_the_card(over_65: bool, said: str | None) -> None:
    claims = {"resident": True, "age_equal_or_over": {"18": True, "65": over_65}}
    assert unmet(made_up(claims), version(), NOW) == said
