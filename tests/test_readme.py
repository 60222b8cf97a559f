"""The ``--help`` blocks in the README and in docs/ are the real ones. Regenerate them with
``python tests/test_readme.py --write`` (or ``python -m tests.test_readme --write``);
``--check`` names the pages whose blocks are stale and writes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
# The README keeps the first screen; each part's page in docs/ holds its own --help.
PAGES = (README, *sorted((ROOT / "docs").glob("*.md")))
BLOCK = re.compile(r"<!-- help: (?P<cmd>[a-z -]+) -->\n```text\n(?P<body>.*?)```", re.DOTALL)
WIDTH = "100"
# A terminal's first screen: where an evaluator must find the two commands.
FIRST_SCREEN_LINES = 40


def render(command: str) -> str:
    # Imported here, not above: run as a script, this file's directory is first on the path
    # until ``main`` puts the checkout's root there (tests/civicid would stand in for the
    # civicid package the CLI imports).
    from cli.main import app

    args = [*command.split()[1:], "--help"]
    result = CliRunner().invoke(
        app, args, prog_name="civicid", env={"COLUMNS": WIDTH, "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def test_docs_help_blocks_match_the_cli() -> None:
    blocks = [(page, b) for page in PAGES for b in BLOCK.finditer(page.read_text("utf-8"))]
    shown = {b["cmd"] for _, b in blocks}
    assert {"civicid", "civicid ledger", "civicid issuer", "civicid wallet"} <= shown
    assert "civicid verifier" in shown
    for page, block in blocks:
        name = page.relative_to(ROOT)
        assert block["body"] == render(block["cmd"]), f"{name}: help for {block['cmd']!r} is stale"


def test_readme_links_to_every_docs_page() -> None:
    text = README.read_text("utf-8")
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in text, page.name
    # The two commands stay on the first screen, before the story.
    assert text.index("## The two commands") < text.index("## The story")
    assert text[: text.index("## The two commands")].count("\n") < FIRST_SCREEN_LINES


def test_docs_links_resolve() -> None:
    link = re.compile(r"\]\((?!https?://|#)(?P<target>[^)#\s]+)")
    for page in PAGES:
        for match in link.finditer(page.read_text("utf-8")):
            target = (page.parent / match["target"]).resolve()
            assert target.exists(), f"{page.relative_to(ROOT)} links to missing {match['target']}"


def test_readme_says_how_to_explore_it_after_the_demo() -> None:
    """After ``make demo``, the first screen's section says how to keep the services running
    and look at them: ``civicid up`` as it runs from the checkout, ``civicid`` not yet being
    on the PATH."""
    text = README.read_text("utf-8")
    section = text[text.index("## The two commands") : text.index("## The story")]
    assert ".venv/bin/civicid up --data-dir " in section
    assert "(docs/operations.md#explore-it-civicid-up)" in section
    assert "## Explore it (`civicid up`)" in (ROOT / "docs" / "operations.md").read_text("utf-8")


def test_run_as_a_script_it_renders_this_checkout_s_cli() -> None:
    """``python tests/test_readme.py``: tests/ first on the path held tests/civicid where the
    CLI imports civicid, and every block failed to render."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--check"],
        cwd=ROOT.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == "every help block is current\n"


def regenerated() -> dict[Path, str]:
    """Each page whose help blocks are not the CLI's, with its text as it should be."""
    changed: dict[Path, str] = {}
    for page in PAGES:
        text = page.read_text("utf-8")
        current = BLOCK.sub(
            lambda m: f"<!-- help: {m['cmd']} -->\n```text\n{render(m['cmd'])}```", text
        )
        if current != text:
            changed[page] = current
    return changed


def main(args: list[str]) -> int:
    """``--write``: rewrite the stale pages; ``--check``: name them, exit 1 if any."""
    sys.path.insert(0, str(ROOT))  # this checkout's code, ahead of tests/ and any install
    write = "--write" in args
    changed = regenerated()
    for page, text in changed.items():
        if write:
            page.write_text(text, "utf-8")
        print(f"{page.relative_to(ROOT)}: {'rewritten' if write else 'stale help blocks'}")
    if not changed:
        print("every help block is current")
    return 1 if changed and not write else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
