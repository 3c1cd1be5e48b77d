"""Benchmark 4 — start-up: `boxdeck --demo` to its first rows painted, beside a bare Textual app, plus import
time.

Each program runs as a fresh process on a pseudo-terminal (140×40, TERM=xterm-256color), exactly as a user
starts
it. The clock starts just before the fork and stops when the first row's text ("acme/platform", the demo
world's first sandbox) has been written to the terminal — no hook inside the app, so everything is counted:
interpreter start, imports, the simulator child and its demo world, the first poll over HTTP, the first
frame.

Side by side, measured the same way, alternating, `--runs` times each:
- `boxdeck --demo` (the simulator in a child process started first, as shipped);
- `boxdeck --amika-url … --devbox-url …` against a simulator already running in another process (the dashboard
  alone: no simulator to import or build);
- a bare Textual app: one `DataTable` with the same rows (read from a file: no HTTP, no service layer).

Plus `python -X importtime -c 'import boxdeck.tui.app'` (its imports beyond the interpreter's own start-up).

    python bench/startup.py [--runs 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

from common import PY, ROOT, PtyProcess, Result, SimProcess, fmt, median, table

FIRST_ROW = "acme/platform"
TARGET_S = 1.5
COLUMNS = ("name", "state", "provider", "repo", "branch", "age", "creator")


def bare_app(rows_file: str) -> None:
    """The comparison: the smallest Textual app that shows the same rows in one DataTable."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    rows = json.loads(Path(rows_file).read_text())

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            t = self.query_one(DataTable)
            t.add_columns(*COLUMNS)
            t.add_rows(rows)

    Bare().run()


def demo_rows(sim: SimProcess) -> list[list[str]]:
    out = []
    for s in sorted(sim.sandboxes(), key=lambda s: s["name"].casefold()):
        repo = (s.get("repo_url") or "").rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        creator = (s.get("created_by") or {}).get("name") or (s.get("created_by") or {}).get("email") or "-"
        out.append(
            [
                s["name"],
                s["state"],
                s.get("provider") or "-",
                repo or "-",
                s.get("branch") or "-",
                "1h",
                creator,
            ]
        )
    return out


def first_rows(argv: list[str], env: dict[str, str] | None = None) -> float:
    p = PtyProcess(argv, env=env)
    try:
        return p.wait_for(FIRST_ROW, timeout=60)
    finally:
        p.close()


def import_time() -> tuple[float, float, list[tuple[str, float]]]:
    """(ms of imports for `import boxdeck.tui.app` beyond `pass`, ms total, top packages by cumulative ms)."""

    def run(code: str) -> list[tuple[int, int, str]]:
        err = subprocess.run(
            [PY, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT
        ).stderr
        rows = []
        for line in err.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m:
                rows.append((int(m.group(1)), int(m.group(2)), m.group(3) + m.group(4)))
        return rows

    samples = []
    for _ in range(3):
        app = run("import boxdeck.tui.app")
        base = run("pass")
        samples.append((sum(r[0] for r in app) / 1000, sum(r[0] for r in base) / 1000, app))
    samples.sort(key=lambda s: s[0])
    total, base, rows = samples[len(samples) // 2]
    top = {}
    for _self_us, cum_us, name in rows:
        stripped = name.strip()
        depth = (len(name) - len(stripped)) // 2
        if depth <= 1 and "." not in stripped:
            top[stripped] = top.get(stripped, 0) + cum_us / 1000
    ranked = sorted(top.items(), key=lambda kv: -kv[1])[:8]
    return total - base, total, ranked


def run(runs: int) -> Result:
    result = Result("startup", "4. Start-up: first rows painted, and import time")
    results: dict[str, list[float]] = {"demo": [], "dashboard": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp, SimProcess(seed=42) as sim:
        rows_file = str(Path(tmp) / "rows.json")
        Path(rows_file).write_text(json.dumps(demo_rows(sim)))
        env = {"HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_STATE_HOME": tmp, "XDG_CACHE_HOME": tmp}
        dash = [
            PY,
            "-m",
            "boxdeck",
            "--amika-url",
            sim.base_url,
            "--devbox-url",
            sim.base_url,
            "--amika-token",
            sim.amika_token,
            "--sprites-token",
            sim.sprites_token,
            "--user-token",
            sim.user_token,
        ]
        first_rows([PY, "-m", "boxdeck", "--demo"], env)  # warm the OS file cache, not measured
        for _ in range(runs):
            results["demo"].append(first_rows([PY, "-m", "boxdeck", "--demo"], env))
            results["dashboard"].append(first_rows(dash, env))
            results["bare"].append(
                first_rows([PY, str(Path(__file__).resolve()), "--child-bare", rows_file], env)
            )
    demo, dashboard, bare = (median(results[k]) for k in ("demo", "dashboard", "bare"))
    rows = [
        [
            "boxdeck --demo (simulator in a child process)",
            *(fmt(x, 3) for x in (demo, min(results["demo"]), max(results["demo"]))),
            f"{demo / bare:.2f}×",
        ],
        [
            "boxdeck against a running simulator",
            *(fmt(x, 3) for x in (dashboard, min(results["dashboard"]), max(results["dashboard"]))),
            f"{dashboard / bare:.2f}×",
        ],
        [
            "bare Textual app, one DataTable, same rows",
            *(fmt(x, 3) for x in (bare, min(results["bare"]), max(results["bare"]))),
            "1.00×",
        ],
    ]
    result.tables.append(
        table(["process start → first row on the terminal", "median s", "min s", "max s", "÷ bare"], rows)
    )
    result.figure(
        f"boxdeck --demo: first rows painted (median of {runs})",
        f"{demo:.3f} s",
        f"< {TARGET_S} s",
        demo < TARGET_S,
    )
    result.figure(
        "boxdeck --demo ÷ bare Textual app",
        f"{demo / bare:.2f}× ({demo:.3f} s ÷ {bare:.3f} s)",
        "≤ 2×",
        demo / bare <= 2,
    )
    beyond, total, top = import_time()
    result.figure(
        "python -X importtime -c 'import boxdeck.tui.app'",
        f"{beyond:.0f} ms of imports (all imports incl. interpreter start-up: {total:.0f} ms)",
    )
    result.tables.append(
        table(
            ["top-level package (import boxdeck.tui.app)", "cumulative ms"],
            [[name, fmt(ms, 1)] for name, ms in top],
        )
    )
    result.notes.append(
        "measured end to end on a pseudo-terminal: the time includes interpreter start-up and the "
        "terminal write of the first frame; the bare app reads its rows from a file"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="3 runs")
    p.add_argument("--json", default=None)
    p.add_argument("--child-bare", metavar="ROWS_FILE", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_bare:
        bare_app(args.child_bare)
        return 0
    started = time.monotonic()
    result = run(3 if args.quick else args.runs)
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
