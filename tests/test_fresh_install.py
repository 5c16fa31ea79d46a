"""What a Space does: a fresh venv with only requirements.txt, then app.py, then the page.

Slow by nature (a few minutes with a warm pip cache: torch and gradio are large), so it carries
the `install` marker: it runs in `make test`, and `pytest -m "not install"` leaves it out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devtools.appserver import free_port

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT_S = 1200


@pytest.mark.install
def test_app_starts_with_only_requirements_txt_installed(tmp_path: Path, shared_cache: Path) -> None:
    venv = tmp_path / "venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements.txt")],
                             capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert install.returncode == 0, install.stderr[-3000:]
    installed_s = time.monotonic() - started
    # nothing beyond requirements.txt: no test tools, and not this project itself
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    assert "pytest==" not in freeze and "ruff==" not in freeze and "interview-coach" not in freeze

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BOT_", "VIRTUAL_ENV"))}
    env.update({"BOT_HOST": "127.0.0.1", "BOT_PORT": str(port), "BOT_DATA_DIR": str(tmp_path / "data"), "BOT_CACHE_DIR": str(shared_cache),
                "SPACE_ID": "test/coach", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                "PYTHONPATH": ""})
    log = open(tmp_path / "app.log", "w")  # noqa: SIM115 (closed below)
    app = subprocess.Popen([str(python), "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                break
            except OSError:
                assert app.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the app did not answer within 180 s"
                time.sleep(1)
        config = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10).read())
    finally:
        app.terminate()
        app.wait(timeout=30)
        log.close()
    total_s = time.monotonic() - started
    print(f"\nfresh venv: install {installed_s:.0f} s, install + first page {total_s:.0f} s")

    assert "Mock-interview coach" in page
    texts = json.dumps(config)
    assert "will not survive a restart" in texts  # SPACE_ID set and no /data: the page says so
