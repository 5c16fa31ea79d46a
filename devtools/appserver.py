"""Run app.py as a child process on a local port: the load test, the crash test and the browser tests.

The child gets its own data folder (and so its own database), the offline grader, and no network
for models; the caller can kill it hard (SIGKILL) and start it again on the same folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from devtools import ROOT

APP = ROOT / "app.py"
LLM_VARIABLES = ("BOT_LLM_MODEL", "OPENAI_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL")


class AppServerError(RuntimeError):
    """The app did not start; the message ends with the last lines of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """`with AppServer(folder) as url:` — app.py listening on 127.0.0.1, its database in `folder`."""

    def __init__(self, data_dir: Path, *, port: int = 0, cache_dir: Path | None = None,
                 offline: bool = True, start_timeout_s: float = 180.0, env: dict[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.cache_dir = cache_dir
        self.offline = offline
        self.start_timeout_s = start_timeout_s
        self.extra_env = env or {}  # settings of the app under test (e.g. BOT_COACH_PASSWORD)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def database(self) -> Path:
        return self.data_dir / "sessions.db"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "app.log"

    def environment(self) -> dict[str, str]:
        env = {**os.environ, "BOT_HOST": "127.0.0.1", "BOT_PORT": str(self.port),
               "BOT_DATA_DIR": str(self.data_dir), "BOT_DB_PATH": str(self.database),
               "GRADIO_TEMP_DIR": str(self.data_dir / "gradio-tmp"),
               "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        if self.cache_dir:
            env["BOT_CACHE_DIR"] = str(self.cache_dir)
        if self.offline:
            for name in LLM_VARIABLES:
                env.pop(name, None)
        return {**env, **self.extra_env}

    def start(self) -> str:
        """Launch app.py and wait until it answers HTTP; returns its URL."""
        if not APP.is_file():
            raise AppServerError(f"{APP} is missing; run this from a checkout of the repository.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen([sys.executable, str(APP)], cwd=ROOT, env=self.environment(),
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return self.url
            except OSError:
                if self.proc.poll() is not None:
                    raise AppServerError(f"the app exited with code {self.proc.returncode}:\n{self.log_tail()}") from None
                time.sleep(0.3)
        self.kill()
        raise AppServerError(f"the app did not answer within {self.start_timeout_s:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run, as in a crash or an out-of-memory kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def cpu_s(self) -> float | None:
        """CPU seconds the app has used so far (user + system; Linux /proc, else None).

        Unlike latency, this barely moves when other programs share the CPU, so it compares
        settings fairly on a busy machine."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (AttributeError, OSError, ValueError, IndexError):
            return None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
