"""What every ``civicid`` command shares: common options, output, the one place that turns
our errors into a one-line reason and a non-zero exit code, and ``inert``, which every string
from outside goes through before it reaches a terminal."""

from __future__ import annotations

import inspect
import json
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Final, Protocol, TypeVar

import typer
from typer.core import TyperOption

from civicid.errors import Error, StorageError, declare
from civicid.files import why_not_written
from civicid.settings import DATA_DIR_ENV, default_data_dir


def _flag_shows_no_type(option: type[Any]) -> None:
    """Typer 0.29's Rich help shows a flag's type after it (``--json <bool>``), as if it took
    a value; its plain help shows none for a flag. Done once here, where every command's
    options are declared, so that every ``--help`` reads as the plain one."""
    shown = option.display_type_rich

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if self.is_flag and not self.count:  # ``--json``, ``--yes``, ``--help``: no value
            return None
        result: str | None = shown(self, ctx)
        return result

    option.display_type_rich = display_type_rich


_flag_shows_no_type(TyperOption)


class Parsed(Protocol):
    """A click context, whichever copy of click made it."""

    def get_parameter_source(self, name: str) -> Any: ...


def typed(ctx: Parsed, name: str) -> bool:
    """Whether option ``name`` was given on the command line (not by env or default)."""
    source = ctx.get_parameter_source(name)
    # By name: Typer may bring its own copy of click, whose enum is another class.
    return source is not None and source.name == "COMMANDLINE"


def group_data_dir(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """A command's ``--data-dir``, unless only its group was given one on the command line
    (``civicid wallet --data-dir X init``): then the group's. Typed on the command itself,
    it wins; else the group's flag beats the environment and the default."""
    parent = ctx.parent
    if parent is None or param.name is None:
        return value
    if typed(ctx, param.name):
        return value
    if typed(parent, param.name):
        given = parent.params[param.name]
        return given if isinstance(given, Path) else Path(given)
    return value


DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar=DATA_DIR_ENV,
        default_factory=default_data_dir,
        show_default="per-user data directory",
        help="Where keys and stores live.",
        callback=group_data_dir,
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help="A PostgreSQL database every process of this service shares "
        "(postgresql://…; or CIVICID_DATABASE_URL).",
        show_default="the embedded store",
    ),
]
# The help of every ``--ledger`` option that takes the ledger's URLs (civicid.ledger_client).
LEDGER_URLS_HELP: Final = "The ledger's URL, or several comma-separated (a ledger, then mirrors)."
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]

F = TypeVar("F", bound=Callable[..., Any])

# Unicode categories of characters that act instead of showing: controls (C0 with ESC, CR,
# newline and tab; DEL; C1 with the 8-bit CSI 0x9b and OSC 0x9d), format characters (the
# bidirectional overrides and isolates of CVE-2021-42574 "Trojan Source", zero-width
# spaces, the BOM, tag characters), line and paragraph separators, lone surrogates.
ACTIVE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Format characters that only join letters (ZWNJ, ZWJ): Persian names and emoji need them,
# and no terminal acts on them.
JOINERS: Final = frozenset({"\u200c", "\u200d"})


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def inert(value: object) -> str:
    """``value`` as one line of text that does nothing to a terminal: each control, format
    or separator character shown as its escape (ESC as ``\\x1b``, U+202E as ``\\u202e``),
    so what was sent can be read and none of it acts (no escape sequence, no clipboard write,
    no hidden or reordered text, no line of its own). For every string from outside: claim
    values, names, purposes, URLs, codes and messages that echo what a peer sent."""
    text = str(value)
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(
        _escaped(c) if unicodedata.category(c) in ACTIVE_CATEGORIES and c not in JOINERS else c
        for c in text
    )


def reflowed(command: F) -> F:
    """Join the source-wrapped lines of each paragraph of ``command``'s docstring: Typer's
    help keeps single line breaks, so a paragraph wrapped at 100 columns in the source would
    print as ragged lines at any other width. Write a default as ``show_default=`` on its
    option, never as ``[default: …]`` in a help text: Rich reads brackets as markup."""
    if command.__doc__:
        paragraphs = inspect.cleandoc(command.__doc__).split("\n\n")
        command.__doc__ = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)
    return command


FILE_ACCESS_FAILED = declare(
    "file_access_failed", StorageError, "a file or directory could not be read or written"
)


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Run a command body; an ``Error`` becomes one line on stderr (or JSON) and an exit code.
    So does a file the disk or a person left unusable that no store translated (a file where
    a directory goes, a read-only directory): one line, not a traceback."""
    try:
        try:
            yield
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename is not None else ""
            raise FILE_ACCESS_FAILED(f"{where}{why_not_written(exc)}") from exc
    except Error as exc:
        if as_json:
            typer.echo(json.dumps(exc.to_json()))
        # A message may echo what a peer sent (an issuer's error_description, a URL), and a
        # peer's code may stand in for ours: both inert, and one line.
        typer.echo(f"error: {inert(exc.message)} [{inert(exc.code)}]", err=True)
        raise typer.Exit(exc.exit_code) from None


def emit(as_json: bool, data: Any, summary: str | Callable[[], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=False))
    else:
        typer.echo(summary() if callable(summary) else summary)


def stderr(line: str) -> None:
    print(line, file=sys.stderr)
