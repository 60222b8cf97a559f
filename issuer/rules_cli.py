"""``civicid issuer rules …``: the agency's issuance rules on the ledger. Thin: call, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from civicid.console import AsJson, DataDir, emit, inert, reporting
from civicid.times import rfc3339
from issuer import rule_book
from issuer.settings import IssuerSettings

app = typer.Typer(
    help="Issuance rules on the ledger: credentials issued at once to whoever qualifies.",
    no_args_is_help=True,
)


def line(rule: dict[str, Any]) -> str:
    head = (
        f"{inert(rule['rule'])} v{rule['version']} (entry {rule['seq']}, {rfc3339(rule['time'])})"
    )
    if rule["withdrawn"]:
        return f"{head}: withdrawn — {inert(rule['reason'])}"
    conditions = "; ".join(inert(c) for c in rule["conditions"]) or "no condition"
    accepts = ", ".join(inert(a) for a in rule["accepts"])
    return f"{head}: issues {inert(rule['vct'])} to holders of {accepts} when {conditions}"


@app.command()
def publish(
    data_dir: DataDir,
    path: Annotated[Path, typer.Argument(help="The rule file (TOML); its name names the rule.")],
    as_json: AsJson = False,
) -> None:
    """Publish a rule, or the next version of it, signed with the agency's key."""
    with reporting(as_json):
        done = rule_book.publish(IssuerSettings.load(data_dir), path)
        emit(as_json, done, lambda: "published " + line(done))


@app.command("list")
def list_(data_dir: DataDir, as_json: AsJson = False) -> None:
    """The agency's rules, the latest version of each, proven on the ledger."""
    with reporting(as_json):
        rules = rule_book.list_rules(IssuerSettings.load(data_dir))
        emit(as_json, rules, lambda: "\n".join(line(r) for r in rules) or "no rules")


@app.command()
def withdraw(
    data_dir: DataDir,
    name: Annotated[str, typer.Argument(help="The rule's name.")],
    reason: Annotated[str, typer.Option(help="Why, in a sentence the public log keeps.")],
    as_json: AsJson = False,
) -> None:
    """Withdraw a rule: nothing is issued by it from now on (its versions stay in the log)."""
    with reporting(as_json):
        done = rule_book.withdraw(IssuerSettings.load(data_dir), name, reason)
        emit(as_json, done, lambda: "withdrawn " + line(done))
