"""TUI start-up benchmark: time to first paint of the home screen (goal < 0.5 s) and time to
open the longest document of the demo project, measured headless with Textual's test driver.

    python benchmarks/tui_startup.py [--project FILE] [--runs N]

Without --project the demo project is built (or reused) in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


async def measure(project: Path, longest: str) -> tuple[float, float, float]:
    """(import + construct, first paint, open longest document) in seconds."""
    t_start = time.perf_counter()
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.screens.coding import CodingScreen
    from workbench.tui.screens.home import HomeScreen

    app = WorkbenchApp(project, "bench")
    t_built = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, HomeScreen) and app.screen.docs):
            await asyncio.sleep(0.001)
        await pilot.pause()  # one full refresh: the screen is painted
        t_paint = time.perf_counter()
        app.open_document(longest)
        while not (isinstance(app.screen, CodingScreen) and app.screen.state is not None):
            await asyncio.sleep(0.001)
        await pilot.pause()
        t_open = time.perf_counter()
        heavy = [m for m in ("torch", "sentence_transformers", "spacy") if m in sys.modules]
        if heavy:
            raise SystemExit(f"model libraries imported at start-up: {heavy}")
    return t_built - t_start, t_paint - t_start, t_open - t_paint


def longest_document(project: Path) -> tuple[str, int]:
    from workbench.services.documents import list_documents
    from workbench.store.db import open_project

    proj = open_project(project)
    try:
        with proj.read() as conn:
            docs = list_documents(conn)
    finally:
        proj.close()
    doc = max(docs, key=lambda d: d.length)
    return doc.name, doc.length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path)
    parser.add_argument("--runs", type=int, default=1, help="in-process repeats (warm)")
    args = parser.parse_args()
    project = args.project
    if project is None:  # build in a child process: the importer may load spaCy
        folder = Path(tempfile.mkdtemp(prefix="wb-bench-"))
        cmd = [sys.executable, "-m", "workbench", "demo", str(folder), "--no-tui"]
        subprocess.run(cmd, check=True, capture_output=True)
        project = folder / "demo.sqlite"
    name, length = longest_document(project)
    results = [asyncio.run(measure(project, name)) for _ in range(args.runs)]
    first = results[0]
    print(f"project: {project}")
    print(f"import + construct app: {first[0]:.3f} s")
    print(f"time to first paint (home screen, cold): {first[1]:.3f} s  (goal < 0.5 s)")
    print(f"open longest document '{name}' ({length} chars): {first[2]:.3f} s")
    if len(results) > 1:
        warm = results[1:]
        print(
            f"warm first paint, median of {len(warm)}: {statistics.median(r[1] for r in warm):.3f} s"
        )
        print(f"warm open, median of {len(warm)}: {statistics.median(r[2] for r in warm):.3f} s")


if __name__ == "__main__":
    main()
