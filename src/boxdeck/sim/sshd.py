"""Real SSH into simulated boxes: an asyncssh server, in its own thread and event loop beside the HTTP one.

Logins are checked the way the services check them, against the live world: an Amika login's user name is an
unexpired, unrevoked SSH grant token of a ready sandbox; a Devbox login's user name is an active access
session of a ready devbox, and the user's registered SSH key must sign in when one is set. Everything else is
refused, and a box that stops or goes away closes its open sessions.

A session runs the user's command (or an interactive shell on a pseudo-terminal) in the box's own directory:
inside bubblewrap, with that directory mounted at the path the real box uses, where this machine allows it;
otherwise directly, and the interactive banner says so. Either way the shell runs on this machine as the
user running the simulator, which the banner says too. The child's environment is built from scratch, so no
token the simulator was started with leaks into a box.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import pty
import re
import shutil
import signal
import socket
import struct
import subprocess
import termios
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from boxdeck.sim.boxfs import BoxFiles, BoxTarget
from boxdeck.sim.ssh_endpoint import SshEndpoint, is_loopback

if TYPE_CHECKING:
    from boxdeck.sim.world import World

__all__ = ["SshServer", "bwrap_problem"]

log = logging.getLogger("boxdeck.sim.ssh")

#: How often an open session checks that its box is still up (stopped and deleted boxes end sessions).
ALIVE_PERIOD = 1.0
#: After the command exits, how long its output may still trickle in (a background job holding stdout open).
OUTPUT_GRACE = 2.0
#: System directories a bubblewrapped shell sees, read-only; the box's own directory is the only writable one.
RO_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
BOX_GONE = b"\r\nboxdeck simulator: the box stopped; closing the connection\r\n"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ENV_NAME = re.compile(r"^(LANG|LC_[A-Z]+)$")
_ENV_VALUE = re.compile(r"^[A-Za-z0-9._@-]{0,64}$")

WorldSource = Callable[[], "World"]


def bwrap_problem(binary: str | None = None) -> str | None:
    """Why bubblewrap cannot run a box's shell here (None when it can): missing, or no user namespaces."""
    path = binary or shutil.which("bwrap")
    if not path:
        return "bubblewrap (bwrap) is not installed"
    try:
        probe = subprocess.run(
            [path, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--proc", "/proc", "true"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not run: {exc}"
    if probe.returncode != 0:
        reason = " ".join(probe.stderr.split())[:200] or f"exit status {probe.returncode}"
        return f"bubblewrap cannot create namespaces here ({reason})"
    return None


def _plain(text: str) -> str:
    """Box names are client text: never let one write a control sequence to somebody's terminal."""
    return _CONTROL.sub("?", text)


class _Login(asyncssh.SSHServer):
    """One connection's authentication: the user name says which box (and proves the grant)."""

    def __init__(self, server: SshServer) -> None:
        self._server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.target: BoxTarget | None = None
        self.world: World | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        host = str(peer[0]) if peer else ""
        if not self._server.allow_remote and not is_loopback(host):
            log.warning("refused an SSH connection from %s (not loopback)", host)
            conn.close()
            return
        self._server.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self._server.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        world = self._server.world()
        target = world.amika.login(username) or world.devbox.login(username)
        self.world, self.target = world, target
        # A valid grant needs nothing more unless the user registered a key; anything else is asked for a
        # key that no key can satisfy, so the client sees "Permission denied (publickey)".
        return target is None or target.required_key is not None

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        target = self.target
        if target is None or target.required_key is None:
            return False
        try:
            registered = asyncssh.import_public_key(target.required_key)
        except (asyncssh.KeyImportError, ValueError):
            return False
        return bool(registered.public_data == key.public_data)

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False


class SshServer:
    """`start()` binds the socket at once (the port is known before anything else runs), then serves from a
    thread; `stop()` ends every session and the thread."""

    def __init__(
        self,
        world: WorldSource,
        endpoint: SshEndpoint,
        files: BoxFiles,
        *,
        sock: socket.socket,
        key_path: Path,
        known_hosts_path: Path | None = None,
        bwrap: bool = True,
        allow_remote: bool = False,
    ) -> None:
        self.world = world
        self.endpoint = endpoint
        self.files = files
        self.allow_remote = allow_remote
        self._sock = sock
        self._key_path = key_path
        self._known_hosts_path = known_hosts_path
        self._want_bwrap = bwrap
        self._bwrap: str | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._children: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def run(self) -> None:
        """The thread's body: serve until `stop()`."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self.error = exc
            log.error("the SSH server stopped: %s", exc)
        finally:
            self.ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():

            def finish() -> None:
                if not stop.done():
                    stop.set_result(None)

            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(finish)

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop = loop.create_future()
        logging.getLogger("asyncssh").setLevel(logging.WARNING)
        key, problem = await asyncio.gather(
            loop.run_in_executor(None, self._host_key), loop.run_in_executor(None, self._find_bwrap)
        )
        self.endpoint.sandboxed = problem is None
        self.endpoint.sandbox_note = problem or "bubblewrap"
        public = key.export_public_key("openssh").decode()
        self.endpoint.set_host_key(public)
        if self._known_hosts_path is not None:
            self._known_hosts_path.write_text(self.endpoint.known_hosts_line() + "\n", encoding="utf-8")
        acceptor = await asyncssh.listen(
            sock=self._sock,
            server_factory=lambda: _Login(self),
            process_factory=self._session,
            server_host_keys=[key],
            encoding=None,
            line_editor=False,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            gss_kex=False,
            gss_auth=False,
            config=None,
        )
        self.ready.set()
        try:
            await self._stop
        finally:
            acceptor.close()
            for conn in list(self.connections):
                conn.close()
            for pid in list(self._children):
                _kill_group(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(acceptor.wait_closed(), 2)

    def _host_key(self) -> asyncssh.SSHKey:
        """One host key per state directory: made on first start, then read back."""
        path = self._key_path
        if path.exists():
            return asyncssh.read_private_key(str(path))
        key = asyncssh.generate_private_key("ssh-ed25519", comment="boxdeck-simulator")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        key.write_private_key(str(tmp))
        tmp.chmod(0o600)
        tmp.replace(path)
        return key

    def _find_bwrap(self) -> str | None:
        if not self._want_bwrap:
            return "bubblewrap is turned off (--no-bwrap)"
        problem = bwrap_problem()
        if problem is None:
            self._bwrap = shutil.which("bwrap")
        return problem

    # -- sessions ------------------------------------------------------------------------------------------
    def _alive(self, world: World, target: BoxTarget) -> bool:
        if world is not self.world():
            return False
        if target.backend == "amika":
            return world.amika.alive(target.box_id, target.gen)
        return world.devbox.session_alive(target.box_id, target.gen, target.grant)

    async def _session(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        conn = process.get_extra_info("connection")
        login = conn.get_owner() if conn is not None else None
        target = getattr(login, "target", None)
        world = getattr(login, "world", None)
        try:
            if not isinstance(target, BoxTarget) or world is None:
                process.exit(1)
                return
            if process.subsystem:
                process.stderr.write(f"boxdeck simulator: no {process.subsystem} subsystem here\r\n".encode())
                process.exit(1)
                return
            if not self._alive(world, target):
                process.stderr.write(b"boxdeck simulator: the box is not running\r\n")
                process.exit(1)
                return
            loop = asyncio.get_running_loop()
            box = await loop.run_in_executor(None, self.files.ensure, target)
            status = await self._run(process, conn, world, target, box)
            if status >= 0:
                process.exit(status)
            else:
                name = signal.Signals(-status).name.removeprefix("SIG")
                process.exit_with_signal(name)
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            pass
        except Exception:
            log.exception("SSH session failed")
            with contextlib.suppress(Exception):
                process.exit(255)

    def _command(self, process: asyncssh.SSHServerProcess[bytes], target: BoxTarget, box: Path) -> tuple[
        list[str], dict[str, str], str
    ]:
        shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
        command = process.command
        if command is not None:
            inner = [shell, "-c", command]
        elif process.term_type is not None:
            inner = [shell, "-i"]
        else:
            inner = [shell]
        sandboxed = self._bwrap is not None
        home = target.home if sandboxed else str(target.host_path(box, target.home) or box)
        cwd = target.cwd if sandboxed else str(target.host_path(box, target.cwd) or box)
        env = {
            "PATH": os.environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "USER": target.user,
            "LOGNAME": target.user,
            "SHELL": shell,
            "PWD": cwd,
            "LANG": os.environ.get("LANG") or "C.UTF-8",
            "BOXDECK_SIM_BOX": target.box_id,
        }
        for name, value in (process.env or {}).items():
            key = name.decode() if isinstance(name, bytes) else str(name)
            val = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            if _ENV_NAME.fullmatch(key) and _ENV_VALUE.fullmatch(val):
                env[key] = val
        if process.term_type:
            env["TERM"] = process.term_type
        if self._bwrap is None:
            return inner, env, cwd
        argv = [self._bwrap, "--die-with-parent", "--unshare-pid"]
        for directory in RO_DIRS:
            argv += ["--ro-bind-try", directory, directory]
        argv += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for inside, rel in target.mounts:
            argv += ["--bind", str(box / rel), inside]
        argv += ["--chdir", cwd, "--", *inner]
        return argv, env, str(box)

    def _banner(self, target: BoxTarget, box: Path) -> str:
        kind = "sandbox" if target.backend == "amika" else "devbox"
        user = _plain(_whoami())
        lines = [
            f'boxdeck simulator: {kind} "{_plain(target.name)}" ({target.box_id})',
            f"!! This shell runs on THIS machine as user {user}, not in a cloud {kind}. !!",
        ]
        if self._bwrap is not None:
            mounts = ", ".join(f"{inside}" for inside, _ in target.mounts)
            lines.append(f"The box's own directory ({_plain(str(box))}) is mounted at {mounts} (bubblewrap).")
        else:
            why = _plain(self.endpoint.sandbox_note or "bubblewrap is not available")
            lines.append(f"No sandbox here ({why}): you are in the box's own directory {_plain(str(box))};")
            lines.append(
                f"absolute paths such as {target.cwd} are this machine's, not the box's."
            )
        return "\r\n".join(lines) + "\r\n"

    async def _run(
        self,
        process: asyncssh.SSHServerProcess[bytes],
        conn: asyncssh.SSHServerConnection,
        world: World,
        target: BoxTarget,
        box: Path,
    ) -> int:
        argv, env, cwd = self._command(process, target, box)
        pty_wanted = process.term_type is not None
        if pty_wanted and process.command is None:
            process.stdout.write(self._banner(target, box).encode())
        if pty_wanted:
            child, pump = await self._start_pty(process, argv, env, cwd)
        else:
            child, pump = await self._start_pipes(process, argv, env, cwd)
        self._children.add(child.pid)
        watcher = asyncio.ensure_future(self._watch(process, conn, world, target, child.pid))
        closed = asyncio.ensure_future(process.channel.wait_closed())
        exited = asyncio.ensure_future(child.wait())
        try:
            await asyncio.wait({exited, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():  # the client went away: hang up on the shell as sshd would
                _kill_group(child.pid, signal.SIGHUP)
                try:
                    await asyncio.wait_for(asyncio.shield(exited), 2)
                except TimeoutError:
                    _kill_group(child.pid, signal.SIGKILL)
            status = await exited
            await pump(closed.done())
            return status
        finally:
            self._children.discard(child.pid)
            for task in (watcher, closed, exited):
                task.cancel()

    async def _watch(
        self,
        process: asyncssh.SSHServerProcess[bytes],
        conn: asyncssh.SSHServerConnection,
        world: World,
        target: BoxTarget,
        pid: int,
    ) -> None:
        """End the session when its box stops, is deleted or the world is reset, as the real box would."""
        while True:
            await asyncio.sleep(ALIVE_PERIOD)
            alive = await asyncio.get_running_loop().run_in_executor(None, self._alive, world, target)
            if not alive:
                with contextlib.suppress(Exception):
                    process.stderr.write(BOX_GONE)
                _kill_group(pid, signal.SIGHUP)
                conn.close()
                return

    async def _start_pipes(
        self, process: asyncssh.SSHServerProcess[bytes], argv: list[str], env: dict[str, str], cwd: str
    ) -> tuple[asyncio.subprocess.Process, Callable[[bool], Any]]:
        child = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        stdin = child.stdin

        async def copy_out(reader: asyncio.StreamReader, writer: asyncssh.SSHWriter[bytes]) -> None:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()

        async def copy_in() -> None:
            try:
                while True:
                    try:
                        data = await process.stdin.read(65536)
                    except asyncssh.SignalReceived as sig:
                        _signal(child.pid, sig.signal)
                        continue
                    except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
                        continue
                    if not data:
                        break
                    stdin.write(data)
                    await stdin.drain()
            except (BrokenPipeError, ConnectionError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    stdin.close()

        outputs = asyncio.gather(
            copy_out(child.stdout, process.stdout), copy_out(child.stderr, process.stderr)
        )
        feeding = asyncio.ensure_future(copy_in())

        async def finish(client_gone: bool) -> None:
            try:
                if not client_gone:
                    await asyncio.wait_for(asyncio.shield(outputs), OUTPUT_GRACE)
            except (TimeoutError, BrokenPipeError, ConnectionError):
                pass
            finally:
                feeding.cancel()
                outputs.cancel()

        return child, finish

    async def _start_pty(
        self, process: asyncssh.SSHServerProcess[bytes], argv: list[str], env: dict[str, str], cwd: str
    ) -> tuple[asyncio.subprocess.Process, Callable[[bool], Any]]:
        master, slave = pty.openpty()
        width, height, pixwidth, pixheight = process.term_size
        _set_size(master, width, height, pixwidth, pixheight)
        try:
            child = await asyncio.create_subprocess_exec(
                *argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=cwd,
                preexec_fn=_controlling_tty,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        loop = asyncio.get_running_loop()
        eof = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except BlockingIOError:
                return
            except OSError as exc:  # EIO: every copy of the terminal's other end is closed
                data = b""
                if exc.errno != errno.EIO:
                    log.debug("pty read failed: %s", exc)
            if data:
                with contextlib.suppress(Exception):
                    process.stdout.write(data)
                return
            loop.remove_reader(master)
            if not eof.done():
                eof.set_result(None)

        loop.add_reader(master, readable)

        async def copy_in() -> None:
            while True:
                try:
                    data = await process.stdin.read(65536)
                except asyncssh.TerminalSizeChanged as size:
                    _set_size(master, size.width, size.height, size.pixwidth, size.pixheight)
                    continue
                except asyncssh.SignalReceived as sig:
                    _signal(child.pid, sig.signal)
                    continue
                except asyncssh.BreakReceived:
                    _signal(child.pid, "INT")
                    continue
                if not data:
                    return
                view = memoryview(data)
                while view:
                    try:
                        written = os.write(master, view)
                    except BlockingIOError:
                        await asyncio.sleep(0.01)
                        continue
                    view = view[written:]

        feeding = asyncio.ensure_future(copy_in())

        async def finish(client_gone: bool) -> None:
            try:
                if not client_gone:
                    await asyncio.wait_for(asyncio.shield(eof), OUTPUT_GRACE)
            except TimeoutError:
                pass
            finally:
                feeding.cancel()
                with contextlib.suppress(Exception):
                    loop.remove_reader(master)
                os.close(master)

        return child, finish


def _controlling_tty() -> None:
    """In the child, before exec: a session of its own whose controlling terminal is the pty (job control)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _set_size(fd: int, width: int, height: int, pixwidth: int, pixheight: int) -> None:
    if width and height:
        with contextlib.suppress(OSError):
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, pixwidth, pixheight))


def _signal(pid: int, name: str) -> None:
    sig = getattr(signal, f"SIG{name}", None)
    if isinstance(sig, signal.Signals):
        _kill_group(pid, sig)


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _whoami() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())
