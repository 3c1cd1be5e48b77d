"""`boxdeck sim`: serve both APIs on a loopback port and print how to point boxdeck at them."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

from boxdeck.sim.child import HOST_KEY_PREFIX, READY_PREFIX, SSH_PREFIX
from boxdeck.sim.config import (
    DEFAULT_AMIKA_TOKEN,
    DEFAULT_SPRITES_TOKEN,
    DEFAULT_USER_TOKEN,
    FAULT_KINDS,
    SimConfig,
)
from boxdeck.sim.ssh_endpoint import SshEndpoint

if TYPE_CHECKING:
    from boxdeck.sim.server import SimServer

DEFAULT_PORT = 8765


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="boxdeck sim",
        description="Run boxdeck's simulator: the Amika (/api/v0beta1) and Devbox (/api/v1) APIs on one port,"
        " "
        "with a lively seeded demo world. OpenAPI docs at /docs, control API at /_sim/.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 = any free)"
    )
    p.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    p.add_argument("--amika-token", default=DEFAULT_AMIKA_TOKEN, help="Amika bearer token to accept")
    p.add_argument("--sprites-token", default=DEFAULT_SPRITES_TOKEN, help="Devbox service token to accept")
    p.add_argument("--user-token", default=DEFAULT_USER_TOKEN, help="Devbox user bearer token to accept")
    p.add_argument("--speed", type=float, default=1.0, help="time multiplier for every duration (default: 1)")
    p.add_argument("--manual-clock", action="store_true", help="time moves only via POST /_sim/advance")
    p.add_argument("--seed", type=int, default=1, help="seed for a deterministic world (default: 1)")
    p.add_argument("--sandboxes", type=int, default=None, metavar="N", help="number of Amika sandboxes")
    p.add_argument("--devboxes", type=int, default=None, metavar="N", help="number of devboxes")
    p.add_argument("--empty", action="store_true", help="start with an empty world (no demo data)")
    p.add_argument(
        "--failure-rate",
        type=float,
        default=0.1,
        help="share of the demo world's own new boxes that fail (default: 0.1)",
    )
    p.add_argument(
        "--client-failure-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="share of the boxes a client creates (and of its snapshots) that fail (default: 0)",
    )
    p.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="share of API requests that fail like real services do (default: 0)",
    )
    p.add_argument(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        help=f"comma-separated fault kinds (default: {','.join(FAULT_KINDS)})",
    )
    p.add_argument(
        "--churn",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="boxes appear and change state now and then (default: on)",
    )
    p.add_argument("--state", metavar="FILE", default=None, help="load the world from FILE and keep it there")
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        default=None,
        help="the SSH host key, the boxes' directories and snapshots (default: FILE.d with --state, "
        "else a temporary directory removed on exit)",
    )
    p.add_argument(
        "--ssh-port", type=int, default=0, help="port for SSH logins into the boxes (default: 0 = any free)"
    )
    p.add_argument("--no-ssh", action="store_true", help="serve no SSH (answers then name made-up hosts)")
    p.add_argument(
        "--ssh-allow-remote",
        action="store_true",
        help="accept SSH logins from other machines (they get a shell on THIS machine: think twice)",
    )
    p.add_argument(
        "--no-bwrap",
        action="store_true",
        help="run box shells without bubblewrap even where it works (box paths are then this machine's)",
    )
    p.add_argument(
        "--strict-user-token",
        action="store_true",
        help="Devbox /users/* and /integrations/* require the user token (the seed calls it optional)",
    )
    # For `boxdeck --demo` (boxdeck.sim.child): stop when stdin reaches end of file (the parent quit or died,
    # so the simulator never outlives it), and keep uvicorn's request lines off the pipe.
    p.add_argument("--parent-pipe", action="store_true", help=argparse.SUPPRESS)
    # Also for `--demo`: serve on this inherited, already listening socket (its port is the parent's to
    # choose, so the parent knows the URL before this process has started) instead of --host/--port.
    p.add_argument("--fd", type=int, default=None, help=argparse.SUPPRESS)
    return p


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def config_from(args: argparse.Namespace) -> SimConfig:
    kinds = tuple(k.strip() for k in args.fault_kinds.split(",") if k.strip())
    return SimConfig(
        seed=args.seed,
        speed=args.speed,
        manual_clock=args.manual_clock,
        sandboxes=args.sandboxes,
        devboxes=args.devboxes,
        demo_world=not args.empty,
        fault_rate=args.fault_rate,
        fault_kinds=kinds,
        churn=args.churn,
        amika_token=args.amika_token,
        sprites_token=args.sprites_token,
        user_token=args.user_token,
        state_file=args.state,
        failure_rate=args.failure_rate,
        client_failure_rate=args.client_failure_rate,
        host=args.host,
        port=args.port,
        ssh=not args.no_ssh,
        ssh_port=args.ssh_port,
        ssh_allow_remote=args.ssh_allow_remote,
        state_dir=args.state_dir,
        bwrap=not args.no_bwrap,
        strict_user_token=args.strict_user_token,
    )




def banner(base_url: str, config: SimConfig, ssh: SshEndpoint | None = None, state_dir: str = "") -> str:
    q = shlex.quote
    command = (
        f"boxdeck --amika-url {q(base_url)} --amika-token {q(config.amika_token)} "
        f"--devbox-url {q(base_url)} --sprites-token {q(config.sprites_token)} "
        f"--user-token {q(config.user_token)}"
    )
    return "\n".join(
        [
            f"{READY_PREFIX}{base_url}",
            f"  Amika API   {base_url}/api/v0beta1   token: {config.amika_token}",
            f"  Devbox API  {base_url}/api/v1        sprites token: {config.sprites_token}   "
            f"user token: {config.user_token}",
            f"  API docs    {base_url}/docs",
            f"  Control     {base_url}/_sim/health",
            *_ssh_lines(ssh, state_dir),
            "",
            "Point boxdeck at it:",
            f"  {command}",
            "",
            "Press Ctrl-C to stop.",
        ]
    )


def _ssh_lines(ssh: SshEndpoint | None, state_dir: str) -> list[str]:
    if ssh is None:
        return []
    host = f"[{ssh.host}]" if ":" in ssh.host else ssh.host
    return [
        f"{SSH_PREFIX}{host}:{ssh.port}   known_hosts: {state_dir}/known_hosts",
        f"  !! SSH logins into the boxes get a shell on THIS machine, as user {_whoami()},",
        f"  !! in each box's own directory under {state_dir}/boxes (bubblewrap keeps the rest read-only",
        "  !! where it works here; without it the shell sees this machine's files as they are).",
    ]


def _whoami() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"boxdeck sim: refusing to bind non-loopback address {args.host!r}: the simulator has fixed demo "
            "tokens and no TLS. Pass --allow-remote if you really mean it.",
            file=sys.stderr,
        )
        return 2
    if args.speed <= 0:
        print("boxdeck sim: --speed must be positive", file=sys.stderr)
        return 2
    rates = (args.fault_rate, args.failure_rate, args.client_failure_rate)
    if not all(0 <= r <= 1 for r in rates):
        print(
            "boxdeck sim: --fault-rate, --failure-rate and --client-failure-rate must be between 0 and 1",
            file=sys.stderr,
        )
        return 2
    unknown = [k for k in args.fault_kinds.split(",") if k.strip() and k.strip() not in FAULT_KINDS]
    if unknown:
        print(
            f"boxdeck sim: unknown fault kinds {unknown}; choose from {','.join(FAULT_KINDS)}",
            file=sys.stderr,
        )
        return 2

    from boxdeck.sim.server import SimServer

    logging.basicConfig(level=logging.WARNING, format="sim: %(levelname)s %(message)s")
    listener = socket.socket(fileno=args.fd) if args.fd is not None else None
    server = SimServer(config_from(args), quiet=args.parent_pipe, listener=listener)
    try:
        server.start()
    except OSError as exc:
        print(
            f"boxdeck sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    if args.parent_pipe:
        # Ctrl-C belongs to the dashboard (or to the ssh session it runs while suspended), not to us; set
        # before the banner, which tells the parent we are ready.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    print(banner(server.base_url, server.config, server.ssh, str(server.state_dir or "")), flush=True)
    if args.parent_pipe:
        threading.Thread(target=_stop_at_eof, args=(done,), name="parent-pipe", daemon=True).start()
        threading.Thread(target=_warm_up, args=(server,), name="warm-up", daemon=True).start()
    try:
        _say_ssh_ready(server, done)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    if not args.parent_pipe:  # the parent may have closed its end of stdout already
        print("boxdeck simulator stopped.", flush=True)
    return 0


def _say_ssh_ready(server: SimServer, done: threading.Event) -> None:
    """The host key line, once SSH serves: after the banner (whose first line says "serving"), so waiting
    for the SSH side never delays the HTTP side."""
    if server.ssh is None:
        return
    for _ in range(60):
        if done.is_set():
            return
        if server.ssh_ready(0.5):
            key, note = server.ssh.public_key(), server.ssh.sandbox_note
            print(f"{HOST_KEY_PREFIX}{key}   ({server.ssh.fingerprint()}; shells: {note})", flush=True)
            return
    print("boxdeck sim: the SSH server did not start; logins will fail", file=sys.stderr, flush=True)


def _warm_up(server: SimServer) -> None:
    """Answer both lists once, right after saying ready: the dashboard asks for them first, while it is still
    importing its UI, and a fresh server's first answer costs ~40 ms more than the next (first-time set-up in
    the web stack and the models). The child has the time to spare; the dashboard's first rows do not."""
    import urllib.request

    config = server.config
    lists = (
        ("/api/v0beta1/sandboxes", {"Authorization": f"Bearer {config.amika_token}"}),
        ("/api/v1/devboxes", {"X-Sprites-Token": config.sprites_token}),
    )
    for path, headers in lists:
        try:
            with urllib.request.urlopen(urllib.request.Request(server.base_url + path, headers=headers),
                                        timeout=5) as answer:
                answer.read()
        except OSError:
            return


def _stop_at_eof(done: threading.Event) -> None:
    """Wait for the parent's end of the pipe to close (it quit, crashed or was killed), then stop."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    done.set()
