"""The error catalogue holds: every code raised is declared once (``civicid.errors.declare``),
with one class; and every declared code is raised somewhere.

A static scan of the source tree: an ``Error`` subclass built with a string-literal code, or
a ``code="..."`` argument, is a code typed at its raise site instead of declared.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from civicid.errors import CATALOGUE, CODE_PATTERN, Error

ROOT: Final = Path(__file__).resolve().parent.parent
PACKAGES: Final = ("civicid", "ledger", "issuer", "verifier", "wallet", "cli")
# Catalogues declared ahead of the code that raises them (a part being built); each entry
# leaves as soon as all its codes are raised, and this list only shrinks.
DECLARED_AHEAD: Final[frozenset[str]] = frozenset()


def sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            yield relative, ast.parse(path.read_text("utf-8"), filename=relative)


def error_classes(trees: list[ast.Module]) -> set[str]:
    """``Error`` and every class that derives from it, by name, anywhere in the tree."""
    names = {"Error"}
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            if node.name not in names and bases & names:
                names.add(node.name)
                grew = True
    return names


@dataclass(frozen=True)
class Site:
    where: str
    code: str

    def __str__(self) -> str:
        return f"{self.where}: {self.code!r}"


def typed_codes(path: str, tree: ast.Module, classes: set[str]) -> list[Site]:
    """String-literal codes at raise sites: ``Refused("x", ...)`` or ``f(..., code="x")``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0] if node.args else None
        if name in classes and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(Site(f"{path}:{node.lineno}", first.value))
        for keyword in node.keywords:
            value = keyword.value
            if (
                keyword.arg == "code"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found.append(Site(f"{path}:{node.lineno}", value.value))
    return found


def declarations(tree: ast.Module) -> dict[str, str]:
    """``NAME = declare("code", ...)`` at module level: constant name -> code."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "declare"
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
        ):
            found[node.targets[0].id] = str(node.value.args[0].value)
    return found


def used_names(tree: ast.Module) -> set[str]:
    """Every name read (``NAME``, ``module.NAME``), declarations' own targets excluded."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


TREES: Final = dict(sources())


def test_every_module_imports_so_every_declaration_runs() -> None:
    """Importing every module runs every ``declare``: a code declared twice with another
    class or summary fails here (``declare`` raises)."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    assert all(CODE_PATTERN.match(name) for name in CATALOGUE)
    assert all(issubclass(code.kind, Error) for code in CATALOGUE.values())


def test_no_code_is_typed_at_its_raise_site() -> None:
    classes = error_classes(list(TREES.values()))
    typed = [site for path, tree in TREES.items() for site in typed_codes(path, tree, classes)]
    assert not typed, "declare these codes once and raise the declared code:\n" + "\n".join(
        map(str, typed)
    )


def unraised() -> dict[str, list[str]]:
    """Declared codes no module raises, by the file that declares them."""
    used: set[str] = set()
    for tree in TREES.values():
        used |= used_names(tree)
    found: dict[str, list[str]] = {}
    for path, tree in TREES.items():
        for constant, code in declarations(tree).items():
            if constant not in used:
                found.setdefault(path, []).append(f"{constant} ({code})")
    return found


def test_every_declared_code_is_raised_somewhere() -> None:
    unused = [
        f"{path}: {item}"
        for path, items in unraised().items()
        if path not in DECLARED_AHEAD
        for item in items
    ]
    assert not unused, "declared but never raised:\n" + "\n".join(unused)


def test_declared_ahead_only_shrinks() -> None:
    stale = sorted(DECLARED_AHEAD - set(unraised()))
    assert not stale, f"every code is raised now: remove {stale} from DECLARED_AHEAD"


def test_each_code_is_declared_by_one_constant() -> None:
    seen: dict[str, str] = {}
    twice = []
    for path, tree in TREES.items():
        for code in declarations(tree).values():
            if code in seen:
                twice.append(f"{code}: {seen[code]} and {path}")
            seen[code] = path
    assert not twice, "declared twice:\n" + "\n".join(twice)


@pytest.mark.parametrize(
    ("code", "status", "exit_code"),
    [
        ("ledger_not_initialized", 404, 1),
        ("did_deactivated", 410, 1),
        ("key_exists", 409, 1),
        ("store_locked", 503, 3),
        ("internal_error", 500, 3),
    ],
)
def test_codes_named_in_review_have_one_class(code: str, status: int, exit_code: int) -> None:
    test_every_module_imports_so_every_declaration_runs()
    declared = CATALOGUE[code]
    assert (declared.http_status, declared.exit_code) == (status, exit_code)


def compared_as_strings(path: str, tree: ast.Module) -> Iterator[str]:
    """``x.code == ...``, ``x.code != ...``, ``x.code in ...``: a code compared as a string,
    which a typo or a renamed constant turns silently false (use ``Code.matches``)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        if not all(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops):
            continue  # `is None` asks whether there is a code, not which
        sides = [node.left, *node.comparators]
        if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
            yield f"{path}:{node.lineno}"


def test_no_code_is_compared_as_a_string() -> None:
    found = [
        site
        for path, tree in TREES.items()
        if path != "civicid/errors.py"
        for site in compared_as_strings(path, tree)
    ]
    assert not found, "compare codes with Code.matches:\n" + "\n".join(found)


def test_a_code_matches_only_its_own_errors() -> None:
    from civicid.errors import InvalidInput, NotFound, declare

    first = declare("test_first_kind", InvalidInput, "a first code for this test")
    second = declare("test_second_kind", NotFound, "a second code for this test")
    try:
        assert first.matches(first("x"))
        assert not first.matches(second("x"))
        assert not first.matches(ValueError("test_first_kind"))
        assert not second.matches(Error("test_second", "a near miss"))
    finally:
        del CATALOGUE["test_first_kind"], CATALOGUE["test_second_kind"]
