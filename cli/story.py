"""The demo's narration: numbered steps, each a few lines saying what crossed the wire, each
checked against what the story promises, and the same record as JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import typer

from civicid.errors import Error, InternalError, declare

DEMO_STEP_FAILED = declare(
    "demo_step_failed", InternalError, "a demo step did not behave as the story says"
)


@dataclass
class Step:
    number: int
    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "step": self.number,
            "name": self.name,
            "title": self.title,
            "ok": self.ok,
            "lines": self.lines,
            "facts": self.facts,
        }
        if self.problem is not None:
            body["problem"] = self.problem
        return body


class Story:
    """Tells the steps as they happen (unless ``quiet``) and keeps them for ``--json``."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.steps: list[Step] = []

    @contextmanager
    def step(self, name: str, title: str) -> Iterator[Step]:
        current = Step(len(self.steps) + 1, name, title)
        self.steps.append(current)
        if not self.quiet:
            typer.secho(f"\n{current.number:>2}. {title}", bold=True)
        try:
            yield current
        except Error as exc:
            current.ok = False
            current.problem = f"{exc.message} [{exc.code}]"
            raise
        finally:
            if not self.quiet and current.problem:
                typer.secho(f"    ✗ {current.problem}", fg=typer.colors.RED, err=True)

    def say(self, text: str) -> None:
        step = self.steps[-1]
        step.lines.append(text)
        if not self.quiet:
            typer.echo(f"    {text}")

    def fact(self, **facts: Any) -> None:
        self.steps[-1].facts.update(facts)

    def expect(self, condition: bool, problem: str) -> None:
        """The story promised this; if it did not happen, the step (and the demo) fails."""
        if not condition:
            step = self.steps[-1]
            step.ok = False
            raise DEMO_STEP_FAILED(f"step {step.number} ({step.name}): {problem}")

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [step.to_json() for step in self.steps]}

    def dump(self) -> str:
        return json.dumps(self.to_json(), indent=2)
