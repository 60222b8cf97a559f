"""The mutation command (.ci/mutation): it refuses a dirty tree, says what it will touch before
it starts, puts every tracked file back even when interrupted, and tells message text from
code when it sorts the mutants."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "mutation"
# How long a child may take to reach the point a test waits for (polled, not slept).
READY_TIMEOUT = 30.0


def load() -> ModuleType:
    loader = SourceFileLoader("mutation_command", str(SCRIPT))
    spec = importlib.util.spec_from_loader("mutation_command", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


mutation = load()


@pytest.mark.parametrize(
    "original, mutant",
    [
        (
            'raise X("the ledger has no genesis yet")',
            'raise X("XXthe ledger has no genesis yetXX")',
        ),
        ('raise X("the ledger has no genesis yet")', 'raise X("THE LEDGER HAS NO GENESIS YET")'),
        ('raise X("the ledger has no genesis yet")', "raise X(None)"),
        ('raise Refused("code_x", "it is refused")', 'raise Refused("code_x", )'),
        ('_check(h, "leaf hash", "hash_malformed")', '_check(h, None, "hash_malformed")'),
        ('raise X("code_x", f"{what} is not a uint64")', 'raise X("code_x", None)'),
    ],
)
def test_a_changed_message_is_message_text(original: str, mutant: str) -> None:
    assert mutation.Change((original,), (mutant,)).is_message_text()


@pytest.mark.parametrize(
    "original, mutant",
    [
        # The code is what tests and clients rely on: changing or dropping it counts.
        (
            'raise Refused("code_x", "it is refused")',
            'raise Refused("XXcode_xXX", "it is refused")',
        ),
        ('raise Refused("code_x", "it is refused")', 'raise Refused("it is refused")'),
        ('_check(h, "leaf hash", "hash_malformed")', '_check(h, "leaf hash", None)'),
        # Identifiers and single words are not messages.
        ('if header.get("typ") != "kb+jwt":', 'if header.get("typ") != "KB+JWT":'),
        ('key = doc.key(kid, "assertionMethod")', 'key = doc.key(kid, "XXassertionMethodXX")'),
        # Anything beside the literal changed.
        ('raise X("no genesis yet")', 'raise Y("no genesis yet")'),
        ('if a >= b: raise X("too big a value")', 'if a > b: raise X("too big a value")'),
        ("return verify(key)", "return None"),
    ],
)
def test_anything_else_counts(original: str, mutant: str) -> None:
    assert not mutation.Change((original,), (mutant,)).is_message_text()


def test_a_change_over_several_lines_counts() -> None:
    assert not mutation.Change(("a(", '"x y")'), ("a(", "None)")).is_message_text()


def test_mutant_names_give_module_and_function() -> None:
    name = "civicid.jose.xǁPublicKeyǁverify_signature__mutmut_12"
    assert mutation.module_of(name) == "civicid/jose.py"
    assert mutation.function_of(name) == "PublicKey.verify_signature"
    assert mutation.module_of("ledger.rules.x_check__mutmut_3") == "ledger/rules.py"
    assert mutation.function_of("ledger.rules.x_check__mutmut_3") == "check"


@pytest.mark.parametrize(
    "status, again, survivors_only",
    [
        ("killed", False, False),
        ("timeout", True, True),  # not a kill: its tests may have been cut short
        ("survived", True, True),
        ("no tests", True, True),
        ("not checked", True, False),  # never run: a plain run runs it, --survivors does not
    ],
)
def test_which_mutants_run_again(status: str, again: bool, survivors_only: bool) -> None:
    assert mutation.should_run(status, survivors=False) is again
    assert mutation.should_run(status, survivors=True) is survivors_only


def test_equivalents_need_a_reason(tmp_path: Path) -> None:
    listed = tmp_path / "eq.toml"
    listed.write_text(
        '[[equivalent]]\nmodule = "m.py"\nfunction = "f"\noriginal = "a"\nmutant = "b"\n'
        'reason = " "\n'
    )
    with pytest.raises(mutation.Refusal):
        mutation.load_equivalents(listed)


def test_the_checked_in_equivalents_are_well_formed() -> None:
    for item in mutation.load_equivalents():
        assert (ROOT / item.module).is_file(), item
        assert item.original != item.mutant and item.reason, item


# -- the guard, on a scratch repository with a stand-in engine ---------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_a_selection_of_tests_is_kept_in_order() -> None:
    args = mutation.parse_args(["--tests", "tests/trust", "--tests", "tests/a.py", "m.py"])
    assert (args.tests, args.modules) == (["tests/trust", "tests/a.py"], ["m.py"])
    assert mutation.parse_args(["m.py"]).tests is None  # the whole suite


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "repo"
    (root / ".ci").mkdir(parents=True)
    shutil.copy(SCRIPT, root / ".ci" / "mutation")
    (root / "mod.py").write_text("VALUE = 1\n")
    (root / ".gitignore").write_text("/mutants/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    yield root


def command(repo: Path, *args: str) -> list[str]:
    return [sys.executable, str(repo / ".ci" / "mutation"), *args]


def environment(engine: str) -> dict[str, str]:
    return {**os.environ, mutation.ENGINE_OVERRIDE: engine}


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_refuses_a_dirty_work_tree(repo: Path) -> None:
    (repo / "mod.py").write_text("VALUE = 2\n")
    done = subprocess.run(
        command(repo, "mod.py"), cwd=repo, capture_output=True, text=True, env=environment("")
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: the work tree has uncommitted changes (mod.py)")
    assert done.stderr.strip().endswith("[mutation_refused]")
    assert (repo / "mod.py").read_text() == "VALUE = 2\n"  # the user's change is left alone
    assert [p.name for p in (repo / "mutants").iterdir()] == [".lock"]  # and nothing written


def test_refuses_a_path_that_is_not_a_module(repo: Path) -> None:
    done = subprocess.run(
        command(repo, "nope.py"), cwd=repo, capture_output=True, text=True, env=environment("")
    )
    assert done.returncode == 2 and "not a module of this tree: nope.py" in done.stderr


def test_says_what_it_touches_and_restores_after_a_normal_exit(repo: Path) -> None:
    engine = "echo 'VALUE = 666' > mod.py"  # an engine that forgets to clean up
    done = subprocess.run(
        command(repo, "mod.py"), cwd=repo, capture_output=True, text=True, env=environment(engine)
    )
    assert done.stdout.startswith("mutation: mutating (in copies under mutants/): mod.py\n")
    assert "restored from HEAD at exit" in done.stdout
    assert done.returncode == 1  # a stand-in engine writes no plan: nothing to report
    assert "mutation: restored mod.py" in done.stderr
    assert (repo / "mod.py").read_text() == "VALUE = 1\n"
    assert not (repo / "mutants" / "guard.json").exists()


def start_interruptible(repo: Path) -> tuple[subprocess.Popen[str], int]:
    """The command with an engine that waits to be stopped. Its output goes to files, not
    pipes: any process forked meanwhile in this test process would hold a pipe open and keep
    its end from being seen."""
    engine = "echo 'VALUE = 666' > mod.py; echo $$ > ../child.pid; touch ../ready; exec sleep 120"
    with (repo.parent / "out.txt").open("w") as out, (repo.parent / "err.txt").open("w") as err:
        proc = subprocess.Popen(
            command(repo, "mod.py"),
            cwd=repo,
            stdout=out,
            stderr=err,
            text=True,
            env=environment(engine),
        )
    wait_for(repo.parent / "ready")
    return proc, int((repo.parent / "child.pid").read_text())


def finished(proc: subprocess.Popen[str], repo: Path) -> str:
    """What the command wrote to stderr, once it has exited."""
    proc.wait(timeout=READY_TIMEOUT)
    return (repo.parent / "err.txt").read_text()


def gone(pid: int, within: float = 10.0) -> bool:
    """``pid`` has exited within ``within`` seconds: no such process, or a zombie (dead, its
    exit status not yet collected: an orphan waits for the machine's init to reap it)."""
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (ProcessLookupError, FileNotFoundError):
            return True
        if state == "Z" or time.monotonic() > deadline:
            return state == "Z"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_run_restores_every_file_and_stops_its_engine(
    repo: Path, sig: signal.Signals
) -> None:
    proc, child = start_interruptible(repo)
    assert (repo / "mod.py").read_text() == "VALUE = 666\n"
    proc.send_signal(sig)
    err = finished(proc, repo)
    assert proc.returncode == 130
    assert f"mutation: stopped ({sig.name})" in err and "restored mod.py" in err
    assert (repo / "mod.py").read_text() == "VALUE = 1\n"
    assert not (repo / "mutants" / "guard.json").exists()
    assert gone(child)


def test_a_killed_run_is_restored_by_the_next_one(repo: Path) -> None:
    """SIGKILL leaves no chance to clean up: the journal lets the next run do it first."""
    proc, child = start_interruptible(repo)
    proc.kill()
    finished(proc, repo)
    os.killpg(child, signal.SIGKILL)  # the orphaned engine, left running by the SIGKILL
    assert (repo / "mod.py").read_text() == "VALUE = 666\n"
    assert (repo / "mutants" / "guard.json").exists()
    done = subprocess.run(
        command(repo, "--changed", "main"),
        cwd=repo,
        capture_output=True,
        text=True,
        env=environment("exit 0"),
    )
    assert done.returncode == 0, done.stderr
    assert "restored after an interrupted run: mod.py" in done.stdout
    assert (repo / "mod.py").read_text() == "VALUE = 1\n"
    assert not (repo / "mutants" / "guard.json").exists()


def test_one_run_at_a_time(repo: Path) -> None:
    """A second run beside a live one would share its work space and journal: refused."""
    proc, child = start_interruptible(repo)
    second = subprocess.run(
        command(repo, "mod.py"), cwd=repo, capture_output=True, text=True, env=environment("")
    )
    assert second.returncode == 2
    assert "another mutation run is using mutants/" in second.stderr
    assert (repo / "mod.py").read_text() == "VALUE = 666\n"  # the live run's state, untouched
    proc.send_signal(signal.SIGTERM)
    finished(proc, repo)
    assert (repo / "mod.py").read_text() == "VALUE = 1\n" and gone(child)


# -- choosing which mutants run: --only and --not-run -----------------------------------

PUBLISH = "issuer.service.xǁIssuerǁ_publish__mutmut_3"
STATUS_STEP = "civicid.eligibility.checks.xǁRunǁstatus__mutmut_12"
PLAIN = "ledger.startup.x_check_last_checkpoint__mutmut_7"


@pytest.mark.parametrize(
    "glob, chosen",
    [
        ("Issuer._publish", {PUBLISH}),  # a function as the report writes it
        ("Run.*", {STATUS_STEP}),  # every method of a class
        ("check_last_*", {PLAIN}),  # a plain function
        ("issuer.service.*", {PUBLISH}),  # a mutmut name
        (PUBLISH, {PUBLISH}),  # one mutant
        ("_publish", set()),  # a function's name alone is not its method
        ("issuer.service.xǁIssuerǁ_publish__mutmut_3?", set()),
    ],
)
def test_only_picks_mutants_by_function_or_name(glob: str, chosen: set[str]) -> None:
    names = [PUBLISH, STATUS_STEP, PLAIN]
    assert {n for n in names if mutation.picked(n, [glob])} == chosen
    assert mutation.unmatched([glob], names) == ([] if chosen else [glob])


def test_several_globs_pick_what_any_picks_and_none_picks_all() -> None:
    names = [PUBLISH, STATUS_STEP, PLAIN]
    assert [n for n in names if mutation.picked(n, ["Run.status", "Issuer.*"])] == [
        PUBLISH,
        STATUS_STEP,
    ]
    assert all(mutation.picked(n, None) and mutation.picked(n, []) for n in names)
    assert mutation.unmatched(["Run.*", "Issuer.publish"], names) == ["Issuer.publish"]


@pytest.mark.parametrize(
    "status, again",
    [
        ("killed", False),
        ("timeout", False),
        ("caught by type check", False),
        ("survived", False),  # a survivor waits for its test and --survivors
        ("no tests", False),
        ("not checked", True),  # never run
    ],
)
def test_not_run_runs_only_the_mutants_never_run(status: str, again: bool) -> None:
    assert mutation.should_run(status, survivors=False, not_run=True) is again


def test_the_choice_reaches_the_engine_in_order() -> None:
    args = mutation.parse_args(
        ["m.py", "--only", "Run.*", "--only=-odd*", "--not-run", "--tests", "tests/a"]
    )
    assert (args.only, args.not_run) == (["Run.*", "-odd*"], True)
    command = mutation.engine_command(args, ["m.py"], "abc")
    assert command[command.index("--engine") :] == [
        "--engine",
        "--seed",
        "abc",
        "--jobs",
        str(args.jobs),
        "m.py",
        "--not-run",
        "--tests=tests/a",
        "--only=Run.*",
        "--only=-odd*",  # a glob starting with - stays the option's value
    ]
    engine = mutation.parse_args(command[command.index("--engine") :])
    assert (engine.only, engine.not_run, engine.tests) == (["Run.*", "-odd*"], True, ["tests/a"])


def test_the_default_run_is_unchanged() -> None:
    args = mutation.parse_args([])
    assert (args.only, args.not_run, args.survivors) == (None, False, False)
    command = mutation.engine_command(args, ["m.py"], "abc")
    assert not [a for a in command if a.startswith(("--only", "--not-run"))]


def test_survivors_and_not_run_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        mutation.parse_args(["--survivors", "--not-run"])
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
