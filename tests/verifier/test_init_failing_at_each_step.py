"""``verifier init`` is all or nothing: made to fail at each of its steps, on a fresh data
dir and over a desk already set up, it leaves the data dir as it found it (no settings file,
no policy copied, no store it created), and the next init goes through."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from civicid.errors import Error
from civicid.keystore import KeyStore
from civicid.shell import settings as shell_settings
from cli.harness import free_port, serving
from cli.main import app
from ledger.app import create_app as ledger_app
from ledger.settings import LedgerSettings
from tests.verifier.world import EXAMPLES, Clock, World
from verifier import service, setup
from verifier.errors import VERIFIER_STORE_FAILED
from verifier.policy import INSTALLED_FILE
from verifier.service import CHECKPOINT_KEY_NAME, Verifier
from verifier.settings import CONFIG_FILE, VerifierSettings

GREEDY = (
    'title = "G"\npurpose = "P"\ncredential_types = ["https://civicid.example/vct/national-id"]\n'
    'required_claims = ["address"]\n'
)


def tree(root: Path) -> dict[str, bytes]:
    """What init may touch: the settings file and the desk's directory, byte for byte."""
    files = [root / CONFIG_FILE, *sorted((root / "verifier").rglob("*"))]
    return {str(p.relative_to(root)): p.read_bytes() for p in files if p.is_file()}


def data_dir(root: Path, world: World) -> Path:
    """A desk's data dir: its identity and the ledger's checkpoint key, nothing else yet."""
    keys = KeyStore(root / "keys")
    keys.put("desk", world.desk.to_json())
    keys.put(CHECKPOINT_KEY_NAME, KeyStore(world.root / "keys").get(CHECKPOINT_KEY_NAME))
    return root


def policies(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    source = tmp_path / "source"
    source.mkdir(parents=True, exist_ok=True)
    for path in EXAMPLES.glob("age-check.toml"):
        shutil.copy(path, source / path.name)
    for name, text in extra:
        (source / name).write_text(text)
    return source


class Step:
    """One way init fails: what to change before it runs, and the code it must fail with."""

    def __init__(
        self,
        code: str,
        *,
        source: Callable[[Path], Path] = policies,
        desk: str = "desk",
        unreachable: bool = False,
        patch: Callable[[pytest.MonkeyPatch], None] = lambda _: None,
    ) -> None:
        self.code, self.source, self.desk = code, source, desk
        self.unreachable, self.patch = unreachable, patch


def failing_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []

    def copy(src: Any, dst: Any) -> Any:
        calls.append(src)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return shutil.copyfile(src, dst)

    monkeypatch.setattr(setup.shutil, "copy", copy)


def failing_store(monkeypatch: pytest.MonkeyPatch) -> None:
    def store(path: Path) -> Any:
        if not path.exists():  # it got as far as creating the file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"half a database")
        raise VERIFIER_STORE_FAILED(f"{path}: disk I/O error")

    monkeypatch.setattr(service, "Store", store)


def failing_swap(monkeypatch: pytest.MonkeyPatch) -> None:
    rename = Path.rename

    def refuse(self: Path, target: Any) -> Any:
        if self.name.endswith(".new"):
            raise OSError(13, "Permission denied")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)


def failing_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    def write(path: Path, data: bytes) -> None:
        raise OSError(122, "Disk quota exceeded")

    monkeypatch.setattr(shell_settings, "write_private", write)  # what ``save`` writes with


STEPS = {
    "no policy files": Step("policy_invalid", source=lambda tmp: tmp),
    "a malformed policy": Step(
        "policy_invalid", source=lambda tmp: policies(tmp, ("bad.toml", "title = ["))
    ),
    "copying a policy": Step(
        "verifier_init_failed",
        source=lambda tmp: policies(tmp, ("again.toml", (EXAMPLES / "age-check.toml").read_text())),
        patch=failing_copy,
    ),
    "the desk's identity": Step("key_not_found", desk="nobody"),
    "the ledger": Step("http_unreachable", unreachable=True),
    "a policy not accredited": Step(
        "policy_not_accredited", source=lambda tmp: policies(tmp, ("greedy.toml", GREEDY))
    ),
    "the store": Step("verifier_store_failed", patch=failing_store),
    "installing the policies": Step("verifier_init_failed", patch=failing_swap),
    "writing the settings": Step("verifier_init_failed", patch=failing_settings),
}


def run_init(
    root: Path, source: Path, transport: httpx.BaseTransport | None, clock: Clock, **flags: Any
) -> setup.Initialized:
    return setup.initialize(
        VerifierSettings.load(root, ledger_url="http://testserver", **flags),
        source,
        clock=clock,
        ledger_transport=transport,
    )


@pytest.mark.parametrize("over_a_desk", [False, True], ids=["fresh", "over-a-desk"])
@pytest.mark.parametrize("step", list(STEPS))
def test_init_failing_leaves_the_data_dir_as_it_was(
    step: str,
    over_a_desk: bool,
    world: World,
    http: httpx.BaseTransport,
    desk_clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing = STEPS[step]
    root = data_dir(tmp_path / "desk", world)
    if over_a_desk:
        run_init(root, policies(tmp_path / "first"), http, desk_clock)
    before = tree(root)
    source = failing.source(tmp_path / "second")
    transport: httpx.BaseTransport | None = http
    flags: dict[str, Any] = {"desk": failing.desk}
    if failing.unreachable:
        transport, flags["ledger_url"] = None, f"http://127.0.0.1:{free_port()}"
    with monkeypatch.context() as patched:
        failing.patch(patched)
        with pytest.raises(Error) as info:
            setup.initialize(
                VerifierSettings.load(root, **{"ledger_url": "http://testserver", **flags}),
                source,
                clock=desk_clock,
                ledger_transport=transport,
            )
    assert info.value.code == failing.code, info.value
    assert tree(root) == before
    assert not [p for p in root.rglob(".*") if p.name.endswith((".new", ".old"))]
    # Nothing left behind stands in the way: the next init goes through.
    done = run_init(root, policies(tmp_path / "third"), http, desk_clock)
    assert done.did == world.desk.did
    desk = Verifier.open(done.settings, clock=desk_clock, ledger_transport=http)
    try:
        assert "age-check" in desk.policies
    finally:
        desk.close()


def test_a_failed_init_on_the_command_line_then_one_that_works(
    world: World, ledger_url: str, tmp_path: Path
) -> None:
    root = data_dir(tmp_path / "desk", world)
    greedy = policies(tmp_path, ("greedy.toml", GREEDY))
    args = ["verifier", "init", "--data-dir", str(root), "--desk", "desk", "--ledger", ledger_url]
    failed = CliRunner().invoke(app, [*args, "--policies", str(greedy)])
    assert failed.exit_code != 0
    assert failed.stderr.strip().endswith("[policy_not_accredited]")
    assert "Traceback" not in failed.output and failed.stderr.count("\n") == 1
    assert tree(root) == {}
    (greedy / "greedy.toml").unlink()
    done = CliRunner().invoke(app, [*args, "--policies", str(greedy)])
    assert done.exit_code == 0, done.output
    installed = sorted(p.name for p in (root / "verifier" / "policies").iterdir())
    assert installed == [INSTALLED_FILE, "age-check.toml"]


@pytest.fixture
def clock() -> Clock:
    """The command line runs on the system clock: so does this world."""
    return Clock(int(time.time()) - 120)


@pytest.fixture
def desk_clock() -> Clock:
    return Clock(int(time.time()))


@pytest.fixture
def ledger_url(world: World) -> Iterator[str]:
    with serving(ledger_app(LedgerSettings(data_dir=world.root), ledger=world.ledger), 0) as url:
        yield url


def test_init_over_a_desk_keeps_what_its_policy_directory_holds(
    world: World, http: httpx.BaseTransport, desk_clock: Clock, tmp_path: Path
) -> None:
    root = data_dir(tmp_path / "desk", world)
    run_init(root, policies(tmp_path / "first"), http, desk_clock)
    target = root / "verifier" / "policies"
    (target / "NOTES.txt").write_text("who approved which policy")
    (setup.sibling(target, "new")).mkdir()  # left by an init killed midway
    source = tmp_path / "second" / "source"
    source.mkdir(parents=True)
    shutil.copy(EXAMPLES / "housing-benefit.toml", source)
    done = run_init(root, source, http, desk_clock)
    assert done.policies == ("housing-benefit",)
    assert sorted(p.name for p in target.iterdir()) == [
        INSTALLED_FILE,
        "NOTES.txt",
        "age-check.toml",
        "housing-benefit.toml",
    ]
    # Both are installed: the first's kept, the second's added.
    assert (target / INSTALLED_FILE).read_text() == "age-check\nhousing-benefit\n"
    assert (target / "NOTES.txt").read_text() == "who approved which policy"
    assert not setup.sibling(target, "new").exists() and not setup.sibling(target, "old").exists()
