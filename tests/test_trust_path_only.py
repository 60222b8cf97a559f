"""The composition root believes the ledger only through the kernel's trust path.

``civicid demo`` and ``civicid up`` ask the same questions the parts ask (is this agency
accredited, may this desk ask for these claims, is this type registered, which checkpoint is
accepted) and must get them answered where the parts do: ``civicid.trust.Trust``. A question
asked of ``LedgerClient`` or ``RegistryClient`` directly would be answered by another path,
with its own rules. Read from the source: any such call in ``cli/`` fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
CLI = ROOT / "cli"

# Questions only the raw clients answer: never asked in cli/ at all.
RAW_ONLY = frozenset(
    {"issuer_accredited", "verifier_allowed", "key_at", "chain", "resolve", "registry",
     "grants", "granted_subjects", "status_list_token"}
)  # fmt: skip
# Questions both answer: asked in cli/ of a ``Trust`` only.
SHARED = frozenset({"checkpoint", "key_in_force", "credential_type", "status_list"})
# Kernel helpers that ask a raw client on the caller's behalf.
RAW_HELPERS = frozenset({"names_of"})


def trust_names(module: ast.AST) -> set[str]:
    """Names bound to a ``Trust``: parameters annotated ``Trust``, and ``x = Trust(...)``."""
    names: set[str] = set()
    for node in ast.walk(module):
        if (
            isinstance(node, ast.arg)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id == "Trust"
        ):
            names.add(node.arg)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            called = node.value.func
            if isinstance(called, ast.Name) and called.id == "Trust":
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def made(node: ast.expr) -> bool:
    """``Trust(...)`` itself, asked at once."""
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Trust"
    )


def offences(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    found: list[str] = []
    # Names bound to a Trust anywhere in the module: a closure asks its enclosing one's.
    trusted = trust_names(tree)
    paths = {  # ``Path.resolve()``: no argument, where the ledger's ``resolve`` names a DID
        id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call) and not n.args
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in RAW_ONLY and id(node) not in paths:
            found.append(f"{filename}:{node.lineno} .{node.attr}")
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        if node.func.attr in SHARED and not (
            (isinstance(receiver, ast.Name) and receiver.id in trusted) or made(receiver)
        ):
            found.append(f"{filename}:{node.lineno} {ast.unparse(node.func)}()")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [
                f"{filename}:{node.lineno} imports {a.name}"
                for a in node.names
                if a.name in RAW_HELPERS
            ]
    return sorted(set(found))


def test_cli_asks_every_trust_question_of_the_trust_path() -> None:
    found = [o for path in sorted(CLI.glob("*.py")) for o in offences(path.read_text(), path.name)]
    assert found == []


def test_the_check_sees_a_question_asked_of_the_client() -> None:
    """The rule above can fail: each way around the trust path is seen."""
    source = """
from civicid.names import names_of
def demo(client: LedgerClient, trust: Trust) -> None:
    other = Trust(client)
    client.issuer_accredited(did, vct).accredited
    client.registry.verifier_allowed(did, vct, claims)
    client.credential_type(vct)
    trust.client.checkpoint()
    trust.credential_type(vct)
    other.checkpoint()
    Trust(client).checkpoint()
    LedgerClient(url, vkey).checkpoint()
    client.resolve(did)
    HERE = Path(__file__).resolve()
"""
    assert offences(source, "demo.py") == sorted(
        [
            "demo.py:2 imports names_of",
            "demo.py:5 .issuer_accredited",
            "demo.py:6 .registry",
            "demo.py:6 .verifier_allowed",
            "demo.py:7 client.credential_type()",
            "demo.py:8 trust.client.checkpoint()",
            "demo.py:12 LedgerClient(url, vkey).checkpoint()",
            "demo.py:13 .resolve",
        ]
    )
