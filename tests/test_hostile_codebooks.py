"""Hostile or odd codebook and plan files: exit 2, one line on stderr, nothing changed."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.codebook.model import MAX_CODE_DEPTH, depth_text

GOOD = "codebook: T\ncodes:\n  - name: A\n  - name: B\n"
GOOD2 = "codebook: U\ncodes:\n  - name: A\n  - name: C\n"


def deep(n: int) -> str:
    lines = ["codebook: Deep", "codes:"]
    for i in range(n):
        ind = "  " * (2 * i)
        lines.append(f"{ind}  - name: Level {i + 1}")
        if i < n - 1:
            lines.append(f"{ind}    children:")
    return "\n".join(lines) + "\n"


BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

HOSTILE: dict[str, str | bytes] = {
    "long-version": "codebook: T\nversion: " + "9" * 100_000 + "\ncodes:\n  - name: A\n",
    "python-tag": "codebook: !!python/name:os.system T\ncodes:\n  - name: A\n",
    "python-object": "codebook: T\ncodes: !!python/object/apply:os.system [echo hi]\n",
    "unknown-tag": "codebook: T\ncodes:\n  - !mine {name: A}\n",
    "utf16-odd": b"c\x00o\x00d\x00\xff",
    "deep-251": deep(251),
    "deep-limit+1": deep(MAX_CODE_DEPTH + 1),
    "bomb": BOMB,
    "alias": "codebook: &t T\ncodes:\n  - name: *t\n",
}


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def dump(project: Path) -> list[str]:
    con = sqlite3.connect(project)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if "data" not in p.parts}


def commands(tmp: Path, bad: Path, proj: Path) -> dict[str, list[str | Path]]:
    good = write(tmp / "good.yaml", GOOD)
    good2 = write(tmp / "good2.yaml", GOOD2)
    gold = write(tmp / "gold.csv", "text,codes\nhello,A\n")
    plan = bad.with_name("plan.yaml")
    if not plan.exists():
        plan = bad
    out = tmp / "out.yaml"
    return {
        "import": ["codebook", "import", bad, "--project", proj],
        "validate": ["codebook", "validate", bad],
        "merge": ["codebook", "merge", bad, good, "-o", out, "--no-meaning"],
        "apply": ["codebook", "merge", good, good2, "-o", out, "--apply", plan],
        "eval": ["eval", "--codebook", bad, "--gold", gold],
    }


def _setup(tmp_path: Path, cli, content: str | bytes, name: str = "bad.yaml") -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    proj = tmp_path / "study.sqlite"
    assert cli("init", "--project", proj).code == 0
    cli("codebook", "import", write(tmp_path / "seed.yaml", GOOD), "--project", proj)
    bad = tmp_path / name
    if content == "FIFO":
        os.mkfifo(bad)
    elif content == "DIR":
        bad.mkdir()
    else:
        write(bad, content)
    return proj, bad


CMDS = ("import", "validate", "merge", "apply", "eval")
# Hostile as codebooks only: as a merge plan these are merely the wrong shape.
SHAPE_ONLY = {"long-version", "deep-limit+1"}


@pytest.mark.parametrize(
    ("case", "cmd"),
    [
        (case, cmd)
        for case in [*HOSTILE, "fifo", "folder"]
        for cmd in CMDS
        if not (cmd == "apply" and case in SHAPE_ONLY)
    ],
)
def test_hostile_input_is_refused_cleanly(tmp_path: Path, cli, case: str, cmd: str) -> None:  # type: ignore[no-untyped-def]
    content = {"fifo": "FIFO", "folder": "DIR"}.get(case) or HOSTILE[case]
    proj, bad = _setup(tmp_path, cli, content)
    argv = commands(tmp_path, bad, proj)[cmd]
    before, before_files = dump(proj), files(tmp_path)
    res = cli(*argv)
    assert res.code == 2, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert "Traceback" not in res.err and "internal error" not in res.err
    assert dump(proj) == before
    assert files(tmp_path) == before_files


def test_messages(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    expect = {
        "long-version": ":2: 'version': a number of 100,000 characters is too long",
        "python-tag": ":1: YAML tag '!!python/name:os.system' is not allowed in a codebook",
        "unknown-tag": ":3: YAML tag '!mine' is not allowed",
        "bomb": ":2: YAML aliases (*a) are not allowed in a codebook",
        "deep-251": depth_text(),
    }
    for case, text in expect.items():
        res = cli("codebook", "validate", write(tmp_path / f"{case}.yaml", HOSTILE[case]))
        assert res.code == 2 and text in res.err, (case, res.err)


def test_utf16_is_decoded(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for codec in ("utf-16-le", "utf-16-be", "utf-16"):
        path = write(tmp_path / f"{codec}.yaml", GOOD.encode(codec))
        res = cli("codebook", "validate", path)
        assert res.code == 0 and "valid (2 codes)" in res.out, (codec, res.err)


def test_depth_limit_round_trip(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    proj = tmp_path / "study.sqlite"
    assert cli("init", "--project", proj).code == 0
    src = write(tmp_path / "limit.yaml", deep(MAX_CODE_DEPTH))
    assert cli("codebook", "import", src, "--project", proj).code == 0
    for ext in ("yaml", "qdc", "md"):
        res = cli("codebook", "export", "-o", tmp_path / f"out.{ext}", "--project", proj)
        assert res.code == 0, res.err
    first = (tmp_path / "out.yaml").read_text()
    for ext in ("yaml", "qdc"):
        proj2 = tmp_path / f"again-{ext}.sqlite"
        assert cli("init", "--project", proj2).code == 0
        res = cli("codebook", "import", tmp_path / f"out.{ext}", "--project", proj2)
        assert res.code == 0, res.err
        again = tmp_path / f"again-{ext}.yaml"
        assert cli("codebook", "export", "-o", again, "--project", proj2).code == 0
        if ext == "yaml":
            assert again.read_text() == first
        else:
            assert again.read_text().count("name: Level") == MAX_CODE_DEPTH


def test_limit_plus_one_same_message(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    proj = tmp_path / "study.sqlite"
    assert cli("init", "--project", proj).code == 0
    src = write(tmp_path / "over.yaml", deep(MAX_CODE_DEPTH + 1))
    a = cli("codebook", "import", src, "--project", proj)
    b = cli("codebook", "validate", src)
    assert a.code == b.code == 2
    assert a.err == b.err and depth_text() in a.err and len(a.err.splitlines()) == 1


def test_deep_qdc_is_refused(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    n = 300
    body = "".join(
        f'<Code guid="{i:08d}-0000-4000-8000-000000000000" name="L{i}">' for i in range(n)
    )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        + body
        + "</Code>" * n
        + "</Codes></CodeBook>"
    )
    path = write(tmp_path / "deep.qdc", xml)
    res = cli("codebook", "validate", path)
    assert res.code == 2 and depth_text() in res.err and len(res.err.splitlines()) == 1


def _limit_memory() -> None:
    limit = 1536 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("cmd", CMDS)
def test_bomb_in_a_subprocess(tmp_path: Path, cli, cmd: str) -> None:  # type: ignore[no-untyped-def]
    proj, bad = _setup(tmp_path, cli, BOMB)
    argv = [str(a) for a in commands(tmp_path, bad, proj)[cmd]]
    before, before_files = dump(proj), files(tmp_path)
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run(
        [sys.executable, "-m", "workbench", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "aliases" in run.stderr
    assert dump(proj) == before
    assert files(tmp_path) == before_files
