"""Benchmark 4 — start-up: first rows painted, beside a fair bare Textual app, plus import time.

Each program runs as a fresh process on a pseudo-terminal (160×45, TERM=xterm-256color), exactly as a user
starts it. The clock starts just before the fork and stops when the first row's text has been written to the
terminal — no hook inside the app, so everything is counted: interpreter start, imports, the simulator child
and its demo world (for --demo), the first poll over HTTP, the first frame. Alternating, `--runs` times each:

- `boxdeck --demo` (the simulator in a child process, as shipped), first row "acme/platform";
- a bare Textual app: a Footer, an Input, a DataTable and some CSS, its rows from one httpx GET of the sandbox
  list (from an already running simulator holding the same demo world);
- `boxdeck` against a running simulator with 10,000 sandboxes and 10,000 devboxes.

Plus `python -X importtime -c 'import boxdeck.tui.app'`: the packages by the sum of their modules' own import
times, and boxdeck's own modules.

    python bench/startup.py [--runs 3] [--big 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    PY,
    ROOT,
    PtyProcess,
    Result,
    SimProcess,
    dashboard_argv,
    fmt,
    isolated_home,
    load_average,
    median,
    spread,
    table,
)

FIRST_ROW = "acme/platform"
TARGET_S = 1.2
BIG_TARGET_S = 2.0
COLUMNS = ("name", "state", "provider", "repo", "branch", "age", "creator")


def bare_app(url: str, token: str) -> None:
    """The comparison: a fair bare Textual app — a Footer, an Input, a DataTable, some CSS — showing the
    sandboxes from one httpx GET of the list (no service layer, no models)."""
    import httpx
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Input

    class Bare(App[None]):
        CSS = """
        Input { dock: top; height: 3; }
        DataTable { height: 1fr; }
        DataTable > .datatable--cursor { background: $accent; }
        """
        BINDINGS = [("q", "quit", "Quit"), ("slash", "filter", "Filter")]

        def compose(self) -> ComposeResult:
            yield Input(placeholder="filter")
            yield DataTable(cursor_type="row")
            yield Footer()

        async def on_mount(self) -> None:
            t = self.query_one(DataTable)
            t.add_columns(*COLUMNS)
            t.focus()
            async with httpx.AsyncClient() as client:
                r = await client.get(
                    f"{url}/api/v0beta1/sandboxes", headers={"Authorization": f"Bearer {token}"}
                )
            t.add_rows(sorted((row_of(s) for s in r.json()), key=lambda row: row[0].casefold()))

    Bare().run()


def row_of(s: dict[str, Any]) -> list[str]:
    repo = (s.get("repo_url") or "").rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    creator = (s.get("created_by") or {}).get("name") or (s.get("created_by") or {}).get("email") or "-"
    return [
        s["name"],
        s["state"],
        s.get("provider") or "-",
        repo or "-",
        s.get("branch") or "-",
        "1h",
        creator,
    ]


def first_rows(argv: list[str], env: dict[str, str] | None = None, needle: str = FIRST_ROW) -> float:
    p = PtyProcess(argv, env=env, size=(160, 45))
    try:
        return p.wait_for(needle, timeout=90)
    finally:
        p.close()


def import_time() -> tuple[float, float, list[tuple[str, float]], list[tuple[str, float]]]:
    """(ms of imports for `import boxdeck.tui.app` beyond `pass`, ms total, the packages by the sum of their
    modules' own import time, boxdeck's own modules by their own time)."""

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
    by_package: dict[str, float] = {}
    ours: list[tuple[str, float]] = []
    for self_us, _cum_us, name in rows:
        module = name.strip()
        package = module.split(".")[0]
        by_package[package] = by_package.get(package, 0) + self_us / 1000  # self times add up exactly
        if package == "boxdeck":
            ours.append((module, self_us / 1000))
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:10]
    ours.sort(key=lambda kv: -kv[1])
    return total - base, total, ranked, ours[:10]


def first_name(sim: SimProcess) -> str:
    """The sandbox the sandboxes screen shows first (sorted by name)."""
    return min((s["name"] for s in sim.sandboxes()), key=str.casefold)


def compile_sources() -> None:
    """Byte-compile boxdeck as an install does (pip compiles what it installs). A source tree run with
    PYTHONDONTWRITEBYTECODE=1, as on this machine, has no bytecode for files changed since the last write,
    and would measure the compiler as well as start-up."""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "src")], check=True)


def run(runs: int, big: int) -> Result:
    result = Result("startup", "4. Start-up: first rows painted, and import time")
    compile_sources()
    times: dict[str, list[float]] = {"demo": [], "bare": [], "big": []}
    loads: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = isolated_home(tmp)
        with SimProcess(seed=42) as sim:
            bare = [PY, str(Path(__file__).resolve()), "--child-bare", sim.base_url, sim.amika_token]
            first_rows([PY, "-m", "boxdeck", "--demo"], env)  # warm the OS file cache, not measured
            first_rows(bare, env)
            for _ in range(runs):
                loads.append(load_average().split()[0])
                times["demo"].append(first_rows([PY, "-m", "boxdeck", "--demo"], env))
                times["bare"].append(first_rows(bare, env))
        with SimProcess(sandboxes=big, devboxes=big, speed=50, seed=9, start_timeout=300) as sim:
            needle = first_name(sim)
            for _ in range(runs):
                times["big"].append(first_rows(dashboard_argv(sim), env, needle))
    ratios = [d / b for d, b in zip(times["demo"], times["bare"], strict=True)]
    rows = [
        [
            "boxdeck --demo (the simulator in a child process, as shipped)",
            spread(times["demo"], 3),
            spread(ratios, 2, "×"),
        ],
        [
            "bare Textual app: Footer, Input, DataTable, CSS, one httpx GET of the list",
            spread(times["bare"], 3),
            "1×",
        ],
        [f"boxdeck against a running simulator with {big:,} + {big:,} boxes", spread(times["big"], 3), ""],
    ]
    result.tables.append(
        table(
            [
                "process start → first row on the terminal (160×45)",
                "s (min / median / max)",
                "÷ bare (per run)",
            ],
            rows,
        )
    )
    result.notes.append("load (1 min) at each run: " + "; ".join(loads))
    demo = median(times["demo"])
    result.figure(
        "boxdeck --demo: first rows painted",
        spread(times["demo"], 3) + " s",
        f"< {TARGET_S} s",
        demo < TARGET_S,
    )
    result.figure(
        "boxdeck --demo ÷ the bare app (each run)", spread(ratios, 2, "×"), "≤ 2×", median(ratios) <= 2
    )
    result.figure(
        f"{big:,} + {big:,}: first rows painted",
        spread(times["big"], 3) + " s",
        f"< {BIG_TARGET_S} s",
        median(times["big"]) < BIG_TARGET_S,
    )
    beyond, total, packages, ours = import_time()
    result.figure(
        "python -X importtime -c 'import boxdeck.tui.app'",
        f"{beyond:.0f} ms of imports (all imports incl. interpreter start-up: {total:.0f} ms)",
    )
    result.tables.append(
        table(
            ["package (import boxdeck.tui.app)", "ms (its modules' own import time)"],
            [[name, fmt(ms, 1)] for name, ms in packages],
        )
    )
    result.tables.append(
        table(["boxdeck module", "ms (own import time)"], [[name, fmt(ms, 1)] for name, ms in ours])
    )
    result.notes.append(
        "measured end to end on a pseudo-terminal: the time includes interpreter start-up and the "
        "terminal write of the first frame; the bare app makes one GET of the sandbox list from the same "
        "(already running) simulator, where --demo starts its own"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="2,000 + 2,000 for the big start-up")
    p.add_argument("--json", default=None)
    p.add_argument("--big", type=int, default=10000, help="sandboxes and devboxes for the big start-up")
    p.add_argument("--child-bare", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_bare:
        bare_app(*args.child_bare)
        return 0
    started = time.monotonic()
    result = run(args.runs, 2000 if args.quick else args.big)
    result.seconds = time.monotonic() - started
    result.show()
    result.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
