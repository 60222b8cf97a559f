"""The README's ``--help`` blocks are the real ones (regenerate: python -m tests.test_readme)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

README = Path(__file__).parents[1] / "README.md"
BLOCK = re.compile(r"<!-- help: (?P<cmd>[a-z -]+) -->\n```text\n(?P<body>.*?)```", re.DOTALL)
WIDTH = "100"


def render(command: str) -> str:
    args = [*command.split()[1:], "--help"]
    result = CliRunner().invoke(
        app, args, prog_name="civicid", env={"COLUMNS": WIDTH, "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def test_readme_help_blocks_match_the_cli() -> None:
    blocks = list(BLOCK.finditer(README.read_text("utf-8")))
    assert {"civicid", "civicid ledger"} <= {b["cmd"] for b in blocks}
    for block in blocks:
        assert block["body"] == render(block["cmd"]), f"README help for {block['cmd']!r} is stale"


def regenerate() -> None:
    text = README.read_text("utf-8")
    text = BLOCK.sub(lambda m: f"<!-- help: {m['cmd']} -->\n```text\n{render(m['cmd'])}```", text)
    README.write_text(text, "utf-8")


if __name__ == "__main__" and "--write" in sys.argv:
    regenerate()
