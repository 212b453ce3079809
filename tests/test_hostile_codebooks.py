"""Hostile or odd codebook and merge-plan files (issue #10).

Every case is refused by every command that reads a codebook or a plan with exit 2, exactly one
line on stderr, the project and the folder exactly as they were, and no new file. The resource
bombs run a second time in a child process under a 1.5 GB address-space limit, so a regression
fails the test instead of taking the machine down.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from refi_support import raw_tables

from workbench.codebook.model import MAX_CODE_DEPTH, Code, Codebook, depth_text
from workbench.codebook.yamlnodes import MAX_YAML_BYTES

OK_A = "codebook: A\ncodes:\n  - name: Alpha\n  - name: Beta\n"
OK_B = "codebook: B\ncodes:\n  - name: Alpha\n  - name: Gamma\n"
GOLD = "text,codes\nthe alpha of it,Alpha\n"
PLAN_HEAD = "plan: 1\nbooks: [a.yaml, b.yaml]\n"
PLAN_ENTRY = (
    "  - action: merge\n"
    "    why: {why}\n"
    "    codes:\n"
    "      - {{book: a.yaml, id: alpha}}\n"
    "      - {{book: b.yaml, id: alpha}}\n"
)
PLAN = PLAN_HEAD + "entries:\n" + PLAN_ENTRY


def plan_with(why: str) -> str:
    return PLAN_HEAD + "entries:\n" + PLAN_ENTRY.format(why=why)


def deep_codebook(levels: int) -> str:
    """A codebook whose codes nest `levels` deep (block style, as a person would write it)."""
    lines = ["codebook: Deep", "codes:"]
    indent = "  "
    for level in range(1, levels + 1):
        lines.append(f"{indent}- name: Level {level}")
        lines.append(f"{indent}  description: code at level {level}")
        if level < levels:
            lines.append(f"{indent}  children:")
            indent += "    "
    return "\n".join(lines) + "\n"


def laughs(n: int = 9) -> str:
    """ "Billion laughs" with YAML anchors: n levels of n aliases each (9**9 strings)."""
    out = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, n):
        prev, name = chr(96 + i), chr(97 + i)
        out += f"{name}: &{name} [" + ",".join([f"*{prev}"] * n) + "]\n"
    return out


DIGITS = "7" * 100_000
FLOW_DEEP = "[" * 300 + "]" * 300
BROKEN_UTF16 = "\ufeffcodebook: T\n".encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le")

# case -> (codebook file content, plan file content, what stderr must say)
Content = str | bytes | None
CASES: dict[str, tuple[Content, Content, str]] = {
    "huge-version-number": (
        f"codebook: T\nversion: {DIGITS}\ncodes:\n  - name: A\n",
        PLAN.format(why="ok").replace("plan: 1", f"plan: {DIGITS}"),
        "characters is too long",
    ),
    "python-name-tag": (
        "codebook: T\nversion: !!python/name:os.system\ncodes:\n  - name: A\n",
        plan_with("!!python/name:os.system"),
        "YAML tag '!!python/name:os.system' is not allowed",
    ),
    "python-apply-tag": (
        'codebook: !!python/object/apply:os.system ["touch PWNED"]\ncodes:\n  - name: A\n',
        PLAN.format(why="ok").replace(
            "books: [a.yaml, b.yaml]", 'books: !!python/object/apply:os.system ["touch PWNED"]'
        ),
        "'!!python/object/apply:os.system' is not allowed",
    ),
    "binary-tag": (
        "codebook: T\ncodes:\n  - name: !!binary QWxwaGE=\n",
        plan_with("!!binary QWxwaGE="),
        "'!!binary' is not allowed",
    ),
    "set-tag": (
        "codebook: T\ncodes:\n  - name: A\n    aliases: !!set {a, b}\n",
        plan_with("!!set {a, b}"),
        "'!!set' is not allowed",
    ),
    "unknown-tag": (
        "codebook: T\ncodes:\n  - name: !rot13 Nycun\n",
        plan_with("!rot13 uryyb"),
        "'!rot13' is not allowed",
    ),
    "billion-laughs": (
        laughs() + OK_A,
        laughs() + PLAN.format(why="ok"),
        "YAML aliases (*a) are not allowed",
    ),
    "merge-key-alias": (
        "codebook: T\ncodes:\n  - &base\n    name: A\n  - <<: *base\n    name: B\n",
        plan_with("&w why").replace("    codes:\n", "    name: *w\n    codes:\n"),
        "YAML aliases (*",
    ),
    "nested-250": (deep_codebook(250), plan_with(FLOW_DEEP), "nested more than"),
    "nested-200": (deep_codebook(200), plan_with("[" * 200 + "]" * 200), "nested more than"),
    "control-character": (
        "codebook: T\ncodes:\n  - name: A\x07\n",
        plan_with("bell \x07"),
        "control character U+0007",
    ),
    "nul-bytes": (
        b"codebook: T\ncodes:\n  - name: A\x00\n",
        plan_with("nul \x00").encode(),
        "NUL",
    ),
    "broken-utf16": (BROKEN_UTF16, BROKEN_UTF16, "UTF-16"),
    "truncated-utf16-no-bom": (b"c\x00o\x00d\x00\xff", b"p\x00l\x00a\x00\xff", "UTF-16"),
    "not-utf8": (b"codebook: T\ncodes:\n  - name: \xff\xfe\xfd\n", b"plan: \xff\n", "not UTF-8"),
    "folder": (None, None, "is a folder"),
    "fifo": (None, None, "named pipe"),
    "too-large": (None, None, "too large"),
}
BOMBS = ("billion-laughs", "merge-key-alias", "huge-version-number", "nested-250")


def make(kind: str, path: Path, content: Content) -> Path:
    """Create the hostile file `path` (a folder, a FIFO, a sparse huge file or content)."""
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "too-large":
        with path.open("wb") as fh:
            fh.write(OK_A.encode())
            fh.truncate(MAX_YAML_BYTES + 1)  # sparse: no 10 MB written to the disk
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        assert content is not None
        path.write_text(content, encoding="utf-8", newline="")
    return path


def snapshot(folder: Path) -> dict[str, object]:
    """Every path under `folder` with its bytes (regular files) or its kind (never opened)."""
    out: dict[str, object] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        st = p.lstat()
        out[rel] = p.read_bytes() if p.is_file() and st.st_size < 1_000_000 else st.st_mode
    return out


@pytest.fixture
def work(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A folder with two good books, a gold file and a project holding book A."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "a.yaml").write_text(OK_A, encoding="utf-8")
    (folder / "b.yaml").write_text(OK_B, encoding="utf-8")
    (folder / "gold.csv").write_text(GOLD, encoding="utf-8")
    assert cli("init", "--project", folder / "study.sqlite").code == 0
    assert (
        cli("codebook", "import", folder / "a.yaml", "--project", folder / "study.sqlite").code == 0
    )
    return folder


def commands(folder: Path, hostile: Path, role: str) -> list[str]:
    proj = str(folder / "study.sqlite")
    a, b, out = str(folder / "a.yaml"), str(folder / "b.yaml"), str(folder / "out.yaml")
    h = str(hostile)
    return {
        "import": ["codebook", "import", h, "--project", proj],
        "validate": ["codebook", "validate", h],
        "merge": ["codebook", "merge", h, b, "-o", out, "--no-meaning"],
        "merge-apply": ["codebook", "merge", a, b, "-o", out, "--apply", h, "--no-meaning"],
        "eval": ["eval", "--codebook", h, "--gold", str(folder / "gold.csv")],
    }[role]


ROLES = ("import", "validate", "merge", "merge-apply", "eval")


def hostile_file(folder: Path, case: str, role: str) -> Path:
    book, plan, _ = CASES[case]
    name = "plan.yaml" if role == "merge-apply" else "hostile.yaml"
    return make(case, folder / name, plan if role == "merge-apply" else book)


def assert_refused(err: str, code: int, hostile: Path, expected: str) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{hostile}:"), lines[0]
    assert expected in lines[0], lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_is_refused_in_one_line(cli, work: Path, case: str, role: str) -> None:  # type: ignore[no-untyped-def]
    hostile = hostile_file(work, case, role)
    tables = raw_tables(work / "study.sqlite")
    before = snapshot(work)
    res = cli(*commands(work, hostile, role))
    assert_refused(res.err, res.code, hostile, CASES[case][2])
    assert snapshot(work) == before  # nothing written, nothing created (no PWNED either)
    assert raw_tables(work / "study.sqlite") == tables
    assert not (work / "PWNED").exists() and not Path("PWNED").exists()


def _limit_memory() -> None:
    limit = 1536 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", BOMBS)
def test_bomb_in_a_memory_limited_process(work: Path, case: str, role: str) -> None:
    hostile = hostile_file(work, case, role)
    before = snapshot(work)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *commands(work, hostile, role)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert_refused(proc.stderr, proc.returncode, hostile, CASES[case][2])
    assert snapshot(work) == before


@pytest.mark.parametrize("case", ["folder", "fifo"])
def test_gold_file_must_be_a_regular_file(cli, work: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    gold = make(case, work / "gold2.csv", None)
    res = cli("eval", "--codebook", work / "a.yaml", "--gold", gold)
    assert res.code == 2 and len(res.err.splitlines()) == 1, res.err
    assert res.err.startswith(f"{gold}:") and CASES[case][2] in res.err


# --- the one depth limit ------------------------------------------------------------------


def _export_all(cli, project: Path, stem: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    out = {}
    for ext in ("yaml", "qdc", "md"):
        path = stem.with_suffix(f".{ext}")
        res = cli("codebook", "export", "-o", path, "--project", project)
        assert res.code == 0, res.err
        out[ext] = path
    return out


def _codes(project: Path) -> list[tuple[object, ...]]:
    """The codes table without its `created` column (the time of the import)."""
    return [row[:-1] for row in raw_tables(project)["codes"]]


@pytest.mark.parametrize("levels", [MAX_CODE_DEPTH - 1, MAX_CODE_DEPTH])
def test_deepest_allowed_codebook_round_trips(cli, tmp_path: Path, levels: int) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "deep.yaml"
    src.write_text(deep_codebook(levels), encoding="utf-8")
    assert cli("codebook", "validate", src).code == 0
    first = tmp_path / "p1.sqlite"
    cli("init", "--project", first)
    res = cli("codebook", "import", src, "--project", first)
    assert res.code == 0, res.err
    files = _export_all(cli, first, tmp_path / "first")
    assert f"Level {levels}" in files["md"].read_text(encoding="utf-8")
    for ext in ("yaml", "qdc"):
        assert cli("codebook", "validate", files[ext]).code == 0
        again = tmp_path / f"again-{ext}.sqlite"
        cli("init", "--project", again)
        res = cli("codebook", "import", files[ext], "--project", again)
        assert res.code == 0, res.err
        assert _codes(again) == _codes(first)
        second = _export_all(cli, again, tmp_path / f"second-{ext}")
        for out_ext in ("yaml", "qdc", "md"):
            assert second[out_ext].read_bytes() == files[out_ext].read_bytes()


def _deep_qdc(levels: int) -> str:
    opens = "".join(
        f'<Code guid="{n:08x}-0000-4000-8000-000000000000" name="Level {n}" isCodable="true">'
        for n in range(1, levels + 1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
        f"<Codes>{opens}{'</Code>' * levels}</Codes></CodeBook>\n"
    )


# a 5000-level YAML codebook would be 50 MB of indentation: that depth is tried as .qdc only
@pytest.mark.parametrize(
    ("levels", "ext"),
    [
        (MAX_CODE_DEPTH + 1, "yaml"),
        (250, "yaml"),
        (MAX_CODE_DEPTH + 1, "qdc"),
        (250, "qdc"),
        (5000, "qdc"),
    ],
)
def test_one_level_too_deep_is_refused_alike(cli, tmp_path: Path, levels: int, ext: str) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / f"deep.{ext}"
    src.write_text(deep_codebook(levels) if ext == "yaml" else _deep_qdc(levels), encoding="utf-8")
    project = tmp_path / "p.sqlite"
    cli("init", "--project", project)
    tables = raw_tables(project)
    (tmp_path / "b.yaml").write_text(OK_B, encoding="utf-8")
    errors = []
    for args in (
        ("codebook", "validate", src),
        ("codebook", "import", src, "--project", project),
        ("codebook", "merge", src, tmp_path / "b.yaml", "-o", tmp_path / "m.yaml", "--no-meaning"),
    ):
        res = cli(*args)
        assert res.code == 2 and len(res.err.splitlines()) == 1, res.err
        errors.append(res.err)
    assert errors[0] == errors[1] == errors[2]
    assert depth_text() in errors[0] and f"{MAX_CODE_DEPTH} levels" in errors[0]
    assert raw_tables(project) == tables
    assert not (tmp_path / "m.yaml").exists()


def _chain(levels: int, prefix: str) -> Code:
    code = Code(name=f"{prefix} {levels}")
    for n in range(levels - 1, 0, -1):
        code = Code(name=f"{prefix} {n}", children=[code])
    return code


def test_every_writer_refuses_a_too_deep_codebook() -> None:
    from workbench.codebook.markdown import codebook_to_markdown
    from workbench.codebook.refi.qdc import qdc_bytes
    from workbench.codebook.yaml_io import dump_codebook
    from workbench.errors import WorkbenchError

    cb = Codebook(codebook="Deep", codes=[_chain(MAX_CODE_DEPTH + 1, "L")])
    for write in (dump_codebook, qdc_bytes, codebook_to_markdown):
        with pytest.raises(WorkbenchError, match=f"more than {MAX_CODE_DEPTH} levels"):
            write(cb)  # type: ignore[operator]


def test_plan_placements_cannot_nest_past_the_limit(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from workbench.codebook.model import code_depth
    from workbench.codebook.yaml_io import load_codebook, save_codebook

    half = MAX_CODE_DEPTH // 2
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    save_codebook(Codebook(codebook="A", codes=[_chain(half + 1, "A")]), a)
    save_codebook(Codebook(codebook="B", codes=[_chain(half, "B")]), b)
    deepest = "/".join(f"a-{n}" for n in range(1, half + 2))
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_HEAD + "entries:\n  - action: keep-separate\n"
        f"    under: {{book: a.yaml, id: {deepest}}}\n"
        "    codes:\n      - {book: b.yaml, id: b-1}\n",
        encoding="utf-8",
    )
    merged = tmp_path / "m.yaml"
    before = snapshot(tmp_path)
    res = cli("codebook", "merge", a, b, "-o", merged, "--apply", plan, "--no-meaning")
    assert res.code == 2 and len(res.err.splitlines()) == 1, res.err
    assert res.err.startswith(f"{plan}:3: ") and depth_text() in res.err
    assert snapshot(tmp_path) == before
    # one level less: exactly at the limit, which is allowed
    plan.write_text(plan.read_text().replace(deepest, deepest.rsplit("/", 1)[0]))
    res = cli("codebook", "merge", a, b, "-o", merged, "--apply", plan, "--no-meaning")
    assert res.code == 0, res.err
    assert code_depth(load_codebook(merged).codes) == MAX_CODE_DEPTH


# --- encodings and the other caps ----------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16", "utf-8-sig"])
def test_utf16_and_bom_codebooks_read_like_utf8(cli, tmp_path: Path, codec: str) -> None:  # type: ignore[no-untyped-def]
    from workbench.codebook.yaml_io import dump_codebook, load_codebook

    text = "codebook: Café study\ncodes:\n  - name: Überraschung\n    description: 驚き\n"
    plain, odd = tmp_path / "plain.yaml", tmp_path / f"{codec}.yaml"
    plain.write_text(text, encoding="utf-8")
    odd.write_bytes(text.encode(codec))
    assert cli("codebook", "validate", odd).code == 0
    assert dump_codebook(load_codebook(odd)) == dump_codebook(load_codebook(plain))


def test_too_many_values_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.codebook import yamlnodes
    from workbench.codebook.yaml_io import CodebookInvalid, parse_codebook

    monkeypatch.setattr(yamlnodes, "MAX_YAML_NODES", 50)
    text = "codebook: T\ncodes:\n" + "".join(f"  - name: C{n}\n" for n in range(40))
    with pytest.raises(CodebookInvalid) as info:
        parse_codebook(text, file="cb.yaml")
    assert info.value.problems == ["cb.yaml:18: the codebook has more than 50 values (the limit)"]


def test_anchors_without_aliases_and_plain_dates_still_read() -> None:
    from workbench.codebook.yaml_io import parse_codebook

    cb = parse_codebook("codebook: T\nversion: 2\ncodes:\n  - &x\n    name: 2020-01-01\n")
    assert cb.codes[0].name == "2020-01-01" and cb.version == 2


@pytest.mark.parametrize("case", ["python-apply-tag", "billion-laughs"])
def test_library_parse_refuses_too(case: str) -> None:
    from workbench.codebook.yaml_io import CodebookInvalid, parse_codebook

    text = CASES[case][0]
    assert isinstance(text, str)
    with pytest.raises(CodebookInvalid) as info:
        parse_codebook(text, file="cb.yaml")
    assert len(info.value.problems) == 1 and CASES[case][2] in info.value.problems[0]
