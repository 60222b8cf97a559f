"""What every ``civicid`` command shares: common options, output, and the one place that
turns our errors into a one-line reason and a non-zero exit code."""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from civicid.errors import Error
from civicid.settings import DATA_DIR_ENV, default_data_dir

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar=DATA_DIR_ENV,
        default_factory=default_data_dir,
        show_default="per-user data directory",
        help="Where keys and stores live.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]

F = TypeVar("F", bound=Callable[..., Any])


def reflowed(command: F) -> F:
    """Join the source-wrapped lines of each paragraph of ``command``'s docstring: Typer's
    help keeps single line breaks, so a paragraph wrapped at 100 columns in the source would
    print as ragged lines at any other width. Write a default as ``show_default=`` on its
    option, never as ``[default: …]`` in a help text: Rich reads brackets as markup."""
    if command.__doc__:
        paragraphs = inspect.cleandoc(command.__doc__).split("\n\n")
        command.__doc__ = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)
    return command


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Run a command body; an ``Error`` becomes one line on stderr (or JSON) and an exit code."""
    try:
        yield
    except Error as exc:
        if as_json:
            typer.echo(json.dumps(exc.to_json()))
        typer.echo(f"error: {exc.message} [{exc.code}]", err=True)
        raise typer.Exit(exc.exit_code) from None


def emit(as_json: bool, data: Any, summary: str | Callable[[], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=False))
    else:
        typer.echo(summary() if callable(summary) else summary)


def stderr(line: str) -> None:
    print(line, file=sys.stderr)
