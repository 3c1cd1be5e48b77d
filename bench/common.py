"""What every benchmark shares: the simulator in its own process, the machine's description, percentiles,
tables,
and the JSON each script leaves for `run_all.py`.

The simulator always runs as a separate process (`python -m boxdeck sim ...`), so the figures measured in the
benchmark process (client CPU, RSS, app latency) never include the server's work.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS_DIR = BENCH / "results"
PY = sys.executable

AMIKA_TOKEN = "amk_sim_bench"
SPRITES_TOKEN = "spr_sim_bench"
USER_TOKEN = "usr_sim_bench"

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


# --------------------------------------------------------------------------------------------- the simulator
class SimProcess:
    """`with SimProcess(sandboxes=1000, devboxes=1000) as sim:` — `python -m boxdeck sim` on an ephemeral
    port.

    `speed` > 1 makes the seeded world's in-flight transitions (initializing, provisioning) settle within a
    few
    seconds; with churn off the world is then perfectly steady, which is what cost measurements want.
    """

    def __init__(
        self,
        *,
        sandboxes: int | None = None,
        devboxes: int | None = None,
        seed: int = 1,
        speed: float = 1.0,
        churn: bool = False,
        fault_rate: float = 0.0,
        manual_clock: bool = False,
        empty: bool = False,
        failure_rate: float | None = None,
        start_timeout: float = 180.0,
    ) -> None:
        argv = [
            PY,
            "-m",
            "boxdeck",
            "sim",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--speed",
            str(speed),
            "--amika-token",
            AMIKA_TOKEN,
            "--sprites-token",
            SPRITES_TOKEN,
            "--user-token",
            USER_TOKEN,
            "--fault-rate",
            str(fault_rate),
            "--churn" if churn else "--no-churn",
        ]
        if sandboxes is not None:
            argv += ["--sandboxes", str(sandboxes)]
        if devboxes is not None:
            argv += ["--devboxes", str(devboxes)]
        if manual_clock:
            argv.append("--manual-clock")
        if empty:
            argv.append("--empty")
        if failure_rate is not None:
            argv += ["--failure-rate", str(failure_rate)]
        self.argv = argv
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.amika_token = AMIKA_TOKEN
        self.sprites_token = SPRITES_TOKEN
        self.user_token = USER_TOKEN
        self._http: httpx.Client | None = None
        self.startup_s = 0.0

    def __enter__(self) -> SimProcess:
        started = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"serving on (http://\S+)", line)
            if m:
                self.base_url = m.group(1)
                break
        if not self.base_url:
            self.__exit__(None, None, None)
            raise RuntimeError("the simulator did not start:\n" + "".join(lines[-20:]))
        self.startup_s = time.monotonic() - started
        out = self.proc.stdout
        threading.Thread(target=lambda: [None for _ in out], daemon=True).start()  # keep the pipe drained
        self._http = httpx.Client(base_url=self.base_url, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # -- the control API (a blocking client: call it from a thread when an event loop must keep running) ----
    def control(self, method: str, path: str, body: Any = None) -> Any:
        assert self._http is not None
        r = self._http.request(method, f"/_sim/{path}", json=body)
        r.raise_for_status()
        return r.json()

    def health(self) -> dict[str, Any]:
        return self.control("GET", "health")

    def set_faults(self, rate: float, kinds: Sequence[str] | None = None) -> Any:
        return self.control("POST", "faults", {"rate": rate, "kinds": list(kinds) if kinds else None})

    def force_state(self, backend: str, ref: str, state: str) -> Any:
        from urllib.parse import quote

        return self.control("POST", f"boxes/{backend}/{quote(ref, safe='')}/state", {"state": state})

    def sandboxes(self) -> list[dict[str, Any]]:
        assert self._http is not None
        r = self._http.get("/api/v0beta1/sandboxes", headers={"Authorization": f"Bearer {AMIKA_TOKEN}"})
        r.raise_for_status()
        return r.json()

    def devboxes(self) -> list[dict[str, Any]]:
        assert self._http is not None
        r = self._http.get(
            "/api/v1/devboxes",
            headers={"X-Sprites-Token": SPRITES_TOKEN, "Authorization": f"Bearer {USER_TOKEN}"},
        )
        r.raise_for_status()
        body = r.json()
        return body if isinstance(body, list) else body.get("devboxes", body.get("items", []))

    def wait_settled(self, timeout: float = 120.0) -> float:
        """Wait until no box is in a transitional state (seconds waited)."""
        from boxdeck.service.boxes import Backend, StateKind, state_kind

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            moving = [
                s for s in self.sandboxes() if state_kind(Backend.AMIKA, s["state"]) is StateKind.TRANSITIONAL
            ]
            moving += [
                d for d in self.devboxes() if state_kind(Backend.DEVBOX, d["state"]) is StateKind.TRANSITIONAL
            ]
            if not moving:
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"the simulated world did not settle within {timeout:.0f} s")


def dashboard_argv(sim: SimProcess) -> list[str]:
    """The real dashboard (`python -m boxdeck`) against `sim`."""
    return [
        PY, "-m", "boxdeck",
        "--amika-url", sim.base_url, "--devbox-url", sim.base_url,
        "--amika-token", sim.amika_token,
        "--sprites-token", sim.sprites_token, "--user-token", sim.user_token,
    ]  # fmt: skip


def isolated_home(tmp: str) -> dict[str, str]:
    """Environment for a dashboard with its own (empty) configuration, state and cache."""
    return {"HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_STATE_HOME": tmp, "XDG_CACHE_HOME": tmp}


def settings_for(
    sim: SimProcess, *, amika: bool = True, devbox: bool = True, steady: float = 5.0, busy: float = 1.0
) -> Any:
    from boxdeck.service.configuration.config import AmikaSettings, DevboxSettings, Settings

    return Settings(
        amika=AmikaSettings(sim.base_url, sim.amika_token) if amika else None,
        devbox=DevboxSettings(sim.base_url, sim.sprites_token, sim.user_token) if devbox else None,
        steady_interval=steady,
        busy_interval=busy,
    )


# --------------------------------------------------------------------------------------------- measuring
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def median(values: Iterable[float]) -> float:
    vals = list(values)
    return statistics.median(vals) if vals else math.nan


def spread(values: Sequence[float], digits: int = 1, unit: str = "") -> str:
    """`min / median / max` of the runs (a single run: its value)."""
    vals = [v for v in values if not math.isnan(v)]
    if not vals:
        return "-"
    if len(vals) == 1:
        return fmt(vals[0], digits) + unit
    return " / ".join(fmt(v, digits) + unit for v in (min(vals), median(vals), max(vals)))


def rss_mb(pid: int | str = "self") -> float:
    return _status_kb(pid, "VmRSS") / 1024


def hwm_mb(pid: int | str = "self") -> float:
    return _status_kb(pid, "VmHWM") / 1024


def _status_kb(pid: int | str, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return float(line.split()[1])
    return math.nan


def cpu_seconds(pid: int) -> float:
    """user + system CPU of a process, from /proc/<pid>/stat."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / ticks


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    import textual

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "textual": textual.__version__,
        "load": load_average(),
    }


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100 and digits <= 1:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table (also readable on a terminal)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells[1:]]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- results
@dataclass
class Figure:
    """One number held against its target. `met` is None for figures without a target (context)."""

    name: str
    value: str
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Result:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    machine: dict[str, str] = field(default_factory=machine)

    def figure(
        self, name: str, value: str, target: str = "", met: bool | None = None, note: str = ""
    ) -> None:
        self.figures.append(Figure(name, value, target, met, note))

    def show(self) -> None:
        print(f"\n== {self.title} ==")
        for t in self.tables:
            print(t)
            print()
        for f in self.figures:
            verdict = "" if f.met is None else ("  MET" if f.met else "  MISSED")
            target = f"  (target {f.target})" if f.target else ""
            print(f"- {f.name}: {f.value}{target}{verdict}" + (f"  — {f.note}" if f.note else ""))
        for n in self.notes:
            print(f"  note: {n}")

    def save(self, path: str | Path | None) -> None:
        if not path:
            return
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(asdict(self), indent=2))


def load_result(path: Path) -> Result:
    data = json.loads(path.read_text())
    figures = [Figure(**f) for f in data.pop("figures")]
    return Result(figures=figures, **data)


def headless_size() -> tuple[int, int]:
    return (160, 45)


class StallWatch:
    """Finds what blocks the event loop: a loop task beats every ~2 ms; a watcher thread samples the loop
    thread's stack whenever the beat is older than `threshold` s. `report()` names the commonest culprits.

    Use: `watch = StallWatch(); watch.start()` inside the running loop; `watch.stop()`;
    `print(watch.report())`.
    """

    def __init__(self, threshold: float = 0.025) -> None:
        self.threshold = threshold
        self.beat = time.perf_counter()
        self.samples: dict[str, int] = {}
        self.stalls: list[float] = []
        self._stop = threading.Event()
        self._task: Any = None
        self._loop_thread = threading.get_ident()

    def start(self) -> None:
        import asyncio

        async def beat() -> None:
            while not self._stop.is_set():
                now = time.perf_counter()
                if now - self.beat > self.threshold:
                    self.stalls.append(now - self.beat)
                self.beat = now
                await asyncio.sleep(0.002)

        self._loop_thread = threading.get_ident()
        self._task = asyncio.get_running_loop().create_task(beat())
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        import traceback

        while not self._stop.wait(0.005):
            if time.perf_counter() - self.beat <= self.threshold:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            chain = [
                f"{Path(f.filename).stem}.{f.name}"
                for f in stack
                if (
                    "/boxdeck/" in f.filename
                    or "/textual/" in f.filename
                    or "/asyncio/" in f.filename
                    or "/json/" in f.filename
                    or "/pydantic/" in f.filename
                )
                and f.name
                not in (
                    "_run_once",
                    "run_forever",
                    "run_until_complete",
                    "_run",
                    "run",
                    "_invoke",
                    "invoke",
                    "_dispatch_message",
                    "_on_message",
                    "_process_messages_loop",
                    "_process_messages",
                    "_pre_process",
                    "_message_loop_exit",
                    "on_event",
                    "_dispatch_message",
                )
            ]
            key = " > ".join(chain[-4:]) or "?"
            self.samples[key] = self.samples.get(key, 0) + 1

    def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()

    def report(self, top: int = 12) -> str:
        lines = [
            f"event-loop stalls > {self.threshold * 1000:.0f} ms: {len(self.stalls)}"
            + (f", longest {max(self.stalls) * 1000:.0f} ms" if self.stalls else "")
        ]
        total = sum(self.samples.values()) or 1
        for key, n in sorted(self.samples.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"  {n * 100 / total:5.1f}%  {key}")
        return "\n".join(lines)


class PtyProcess:
    """A program on a pseudo-terminal of a given size (what a user's terminal gives it), its output drained
    and searchable with the escape sequences stripped. `started` is `time.perf_counter()` just before the
    fork.
    """

    def __init__(
        self, argv: Sequence[str], *, size: tuple[int, int] = (140, 40), env: dict[str, str] | None = None
    ) -> None:
        import fcntl
        import pty
        import struct
        import termios

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            start_new_session=True,
            env={
                **os.environ,
                "TERM": "xterm-256color",
                "COLUMNS": str(size[0]),
                "LINES": str(size[1]),
                **(env or {}),
            },
        )
        os.close(slave)
        self.master = master
        self.raw = bytearray()
        self.text = ""
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.perf_counter()
            with self._lock:
                self.raw += chunk
                self.text = ANSI.sub("", self.raw.decode("utf-8", "replace"))
                for needle in list(self._seen):
                    if self._seen[needle] < 0 and needle in self.text:
                        self._seen[needle] = now

    def wait_for(self, needle: str, timeout: float = 30.0) -> float:
        """Seconds from the fork to the moment `needle` had been written to the terminal (NaN on timeout)."""
        with self._lock:
            if needle in self.text:
                return time.perf_counter() - self.started
            self._seen[needle] = -1.0
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                seen = self._seen.get(needle, -1.0)
            if seen >= 0:
                return seen - self.started
            if self.proc.poll() is not None:
                break
            time.sleep(0.002)
        return math.nan

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self.master)
