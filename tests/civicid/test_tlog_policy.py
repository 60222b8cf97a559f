"""C2SP tlog-policy files: the spec's example policy with real keys, the quorum rule over
cosigners that verified, and every malformed policy refused with its code."""

from __future__ import annotations

import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.cosignature import CosignerKey, attach_cosignatures, verify_cosignatures
from civicid.errors import Error
from civicid.tlog_policy import (
    MAX_POLICY_BYTES,
    MAX_POLICY_GROUPS,
    MAX_POLICY_LOGS,
    MAX_POLICY_WITNESSES,
    TlogPolicy,
)

LOG = NoteSigner("log.example/civicid", bytes(range(32)))
KEYS = {
    name: CosignerKey(f"{name.lower()}.example/w", bytes([i + 1]) * 32)
    for i, name in enumerate(["X1", "X2", "X3", "Y1", "Y2", "Y3"])
}


def _vkey(name: str) -> str:
    return KEYS[name].vkey()


# The spec's "Example policy", its elided keys filled in (and one optional URL).
SPEC_EXAMPLE = f"""log {LOG.vkey()} https://ledger.example

witness X1 {_vkey("X1")} https://x1.example
witness X2 {_vkey("X2")}
witness X3 {_vkey("X3")}
group X-witnesses 2 X1 X2 X3

witness Y1 {_vkey("Y1")}
witness Y2 {_vkey("Y2")}
witness Y3 {_vkey("Y3")}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def _code(exc: pytest.ExceptionInfo[Error]) -> str:
    return exc.value.code


def test_spec_example_parses() -> None:
    policy = TlogPolicy.parse(SPEC_EXAMPLE)
    assert [log.origin for log in policy.logs] == ["log.example/civicid"]
    assert policy.logs[0].url == "https://ledger.example"
    assert policy.log_for("log.example/civicid") is policy.logs[0]
    assert policy.log_for("other.example") is None
    assert [w.name for w in policy.witnesses] == ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    x1 = policy.witness("X1")
    assert x1 is not None and x1.url == "https://x1.example" and x1.verifier.vkey == _vkey("X1")
    assert policy.witness("X2") is not None and policy.witness("Z") is None
    assert [(g.name, g.threshold) for g in policy.groups] == [
        ("X-witnesses", 2),
        ("Y-witnesses", 1),
        ("X-and-Y", 2),
    ]
    assert policy.quorum == "X-and-Y"
    assert TlogPolicy.parse(policy.to_text()) == policy
    assert TlogPolicy.parse(SPEC_EXAMPLE.encode()) == policy


@pytest.mark.parametrize(
    ("signed", "met", "missing"),
    [
        (["X1", "X2", "Y1"], True, ["X3", "Y2", "Y3"]),
        (["X1", "X2", "X3", "Y1", "Y2", "Y3"], True, []),
        (["X1", "Y1", "Y2", "Y3"], False, ["X2", "X3"]),  # one of X is not two
        (["X1", "X2", "X3"], False, ["Y1", "Y2", "Y3"]),  # none of Y
        (["X1", "X1", "Y1"], False, ["X2", "X3", "Y2", "Y3"]),  # one witness twice counts once
        (["X1", "X-witnesses", "Y1"], False, ["X2", "X3", "Y2", "Y3"]),  # a group is no signer
        (["X1", "stranger", "Y1", "none"], False, ["X2", "X3", "Y2", "Y3"]),  # unknown: ignored
        ([], False, ["X1", "X2", "X3", "Y1", "Y2", "Y3"]),
    ],
)
def test_quorum_of_the_spec_example(signed: list[str], met: bool, missing: list[str]) -> None:
    result = TlogPolicy.parse(SPEC_EXAMPLE).evaluate(signed)
    assert result.met is met
    assert list(result.missing) == missing
    assert set(result.cosigned) == set(signed) & set(KEYS)


def test_quorum_none_and_a_single_witness() -> None:
    none = TlogPolicy.parse(f"log {LOG.vkey()}\nquorum none\n")
    assert none.evaluate([]).met and none.evaluate([]).missing == ()
    single = TlogPolicy.parse(f"witness X1 {_vkey('X1')}\nwitness X2 {_vkey('X2')}\nquorum X1\n")
    assert single.logs == ()  # "a policy with an empty set of logs" is allowed
    assert single.evaluate(["X1"]).met
    assert not single.evaluate(["X2"]).met
    assert single.evaluate(["X2"]).missing == ("X1",)


def test_verified_cosignatures_meet_the_quorum() -> None:
    policy = TlogPolicy.parse(SPEC_EXAMPLE)
    checkpoint = Checkpoint("log.example/civicid", 3, bytes(32))
    stranger = CosignerKey("stranger.example", b"\x77" * 32)
    lines = [KEYS[n].cosign(checkpoint, 1000) for n in ("X1", "X3", "Y2")]
    lines += [KEYS["X1"].cosign(checkpoint, 999), stranger.cosign(checkpoint, 1000)]
    note = attach_cosignatures(LOG.sign_checkpoint(checkpoint), lines)
    names = policy.names_of(verify_cosignatures(note, policy.cosigners()))
    assert names == ("X1", "X3", "Y2")
    assert policy.evaluate(names).met
    only_x = policy.names_of(verify_cosignatures(note, policy.cosigners()[:3]))
    assert not policy.evaluate(only_x).met


def test_whitespace_comments_and_a_missing_final_newline_are_accepted() -> None:
    text = f"# a comment\n \t\n\tlog\t{LOG.vkey()}  \n  # indented comment\n  quorum   none"
    policy = TlogPolicy.parse(text)
    assert len(policy.logs) == 1 and policy.quorum == "none"


# -- refusals --------------------------------------------------------------------------------

W1 = f"witness X1 {_vkey('X1')}\n"
W2 = f"witness X2 {_vkey('X2')}\n"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (W1 + f"witness X1 {_vkey('X2')}\nquorum X1\n", "policy_name_duplicate"),
        (W1 + W2 + "group X1 any X2\nquorum X1\n", "policy_name_duplicate"),
        (W1 + W2 + "group g any X1 X2\ngroup g any X1\nquorum g\n", "policy_name_duplicate"),
        (f"witness none {_vkey('X1')}\nquorum none\n", "policy_name_duplicate"),
        (W1 + W2 + "group g 2 X1 X1\nquorum g\n", "policy_name_duplicate"),
        (W1 + W2 + "group g 3 X1 X2\nquorum g\n", "policy_threshold_invalid"),
        (W1 + W2 + "group g 0 X1 X2\nquorum g\n", "policy_threshold_invalid"),
        (W1 + W2 + "group g 01 X1 X2\nquorum g\n", "policy_threshold_invalid"),
        (W1 + W2 + "group g some X1 X2\nquorum g\n", "policy_threshold_invalid"),
        (W1 + "group g any X1 X9\nquorum g\n", "policy_name_unknown"),
        (W1 + "group g any X1 none\nquorum g\n", "policy_name_unknown"),
        (W1 + "quorum X2\n", "policy_name_unknown"),
        ("quorum X1\n" + W1, "policy_name_unknown"),  # a name defined only after its use
        (W1 + "group g any X1 h\ngroup h any X1\nquorum g\n", "policy_name_unknown"),
        (W1, "policy_quorum_missing"),
        (W1 + "quorum X1\nquorum X1\n", "policy_quorum_missing"),
        (W1 + f"witness X2 {KEYS['X1'].vkey()}\nquorum X1\n", "policy_key_duplicate"),
        (
            W1 + f"witness X2 {CosignerKey('other.name', bytes([1]) * 32).vkey()}\nquorum X1\n",
            "policy_key_duplicate",  # same public key under another key name
        ),
        (
            f"log {LOG.vkey()}\nlog {NoteSigner('alias', bytes(range(32))).vkey()}\nquorum none\n",
            "policy_key_duplicate",
        ),
        (f"log {_vkey('X1')}\nquorum none\n", "vkey_malformed"),  # a cosigner key as log key
        (f"witness X1 {LOG.vkey()}\nquorum X1\n", "vkey_malformed"),  # a log key as witness
        (W1 + "quorum X1 X1\n", "policy_malformed"),
        (W1 + "quorum\n", "policy_malformed"),
        (W1 + "witnes X2 k\nquorum X1\n", "policy_malformed"),
        (W1 + "group g any\nquorum X1\n", "policy_malformed"),
        ("log\nquorum none\n", "policy_malformed"),
        (f"log {LOG.vkey()} https://a https://b\nquorum none\n", "policy_malformed"),
        (f"witness X1 {_vkey('X1')} https://a extra\nquorum X1\n", "policy_malformed"),
        (W1 + "quorum X1\r\n", "policy_malformed"),  # CR is a control character
        (W1 + "quorum X1\x00\n", "policy_malformed"),
        (W1 + "quorum X1\n# \x7f\n", "policy_malformed"),
        (W1.encode() + b"# caf\xe9\nquorum X1\n", "policy_malformed"),  # not UTF-8
        (W1 + "quorum X1\n# \ud800\n", "policy_malformed"),
        (W1 + "quorum X1\n" + "#" * MAX_POLICY_BYTES, "policy_too_large"),
        (7, "policy_malformed"),
    ],
)
def test_malformed_policy_is_refused(text: str | bytes, code: str) -> None:
    with pytest.raises(Error) as exc:
        TlogPolicy.parse(text)
    assert _code(exc) == code


def test_refusal_names_the_line() -> None:
    with pytest.raises(Error) as exc:
        TlogPolicy.parse(W1 + W2 + "# ok\ngroup g 3 X1 X2\nquorum g\n")
    assert exc.value.message.startswith("line 4: group g needs 3 of only 2 members")


def test_too_many_witnesses_is_refused() -> None:
    lines = [
        f"witness w{i} {CosignerKey(f'w{i}.example', i.to_bytes(32, 'big')).vkey()}"
        for i in range(1, MAX_POLICY_WITNESSES + 2)
    ]
    ok = "\n".join(lines[:-1]) + "\nquorum w1\n"
    assert len(TlogPolicy.parse(ok).witnesses) == MAX_POLICY_WITNESSES
    with pytest.raises(Error) as exc:
        TlogPolicy.parse("\n".join(lines) + "\nquorum w1\n")
    assert _code(exc) == "policy_too_large"


# -- edges found by mutation testing ----------------------------------------------------------


def test_written_back_exactly() -> None:
    text = f"log {LOG.vkey()}\n{W1}group g any X1\nquorum g\n"
    assert TlogPolicy.parse(text).to_text() == text.replace("any", "1")


def test_a_policy_of_exactly_the_size_limit_is_read() -> None:
    body = f"{W1}quorum X1\n"
    exact = body + "#" * (MAX_POLICY_BYTES - len(body) - 1) + "\n"
    assert len(exact) == MAX_POLICY_BYTES
    assert TlogPolicy.parse(exact).quorum == "X1"


def test_too_many_logs_or_groups_is_refused() -> None:
    logs = [f"log {NoteSigner(f'l{i}', i.to_bytes(32, 'big')).vkey()}" for i in range(1, 66)]
    ok = "\n".join(logs[:MAX_POLICY_LOGS]) + "\nquorum none\n"
    assert len(TlogPolicy.parse(ok).logs) == MAX_POLICY_LOGS
    with pytest.raises(Error) as exc:
        TlogPolicy.parse("\n".join(logs[: MAX_POLICY_LOGS + 1]) + "\nquorum none\n")
    assert _code(exc) == "policy_too_large"
    groups = [f"group g{i} any X1" for i in range(MAX_POLICY_GROUPS + 1)]
    ok = W1 + "\n".join(groups[:MAX_POLICY_GROUPS]) + "\nquorum g0\n"
    assert len(TlogPolicy.parse(ok).groups) == MAX_POLICY_GROUPS
    with pytest.raises(Error) as exc:
        TlogPolicy.parse(W1 + "\n".join(groups) + "\nquorum g0\n")
    assert _code(exc) == "policy_too_large"
