"""Files made for one download (coach exports): each in a fresh private folder, gone soon after.

Gradio copies a file a handler returns into its own cache (a private folder too, see app.py) as
soon as the handler returns, so ours is needed for seconds. Each file gets its own folder from
tempfile.mkdtemp (mode 0700, a random name created exclusively), so another local user can neither
read it nor plant a symlink where it will be written, and the folder is removed `max_age_s` later.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path


class PrivateFiles:
    def __init__(self, root: Path | None = None, max_age_s: float = 60.0) -> None:
        self.root = root  # None: the system's temp folder (tempfile.gettempdir())
        self.max_age_s = max_age_s
        self._made: dict[Path, float] = {}
        self._lock = threading.Lock()

    def write(self, name: str, text: str | bytes) -> Path:
        """`text` (or bytes) in a new private folder as `name` (a plain file name); removed after max_age_s."""
        self.sweep()
        folder = Path(tempfile.mkdtemp(prefix="coach-export-", dir=self.root))
        path = folder / Path(name).name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        with self._lock:
            self._made[folder] = time.monotonic()
        timer = threading.Timer(self.max_age_s, self._remove, [folder])
        timer.daemon = True
        timer.start()
        return path

    def sweep(self) -> None:
        """Remove every folder older than max_age_s (a timer that did not run, e.g. a busy process)."""
        now = time.monotonic()
        with self._lock:
            old = [f for f, made in self._made.items() if now - made >= self.max_age_s]
        for folder in old:
            self._remove(folder)

    def _remove(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self._made.pop(folder, None)
