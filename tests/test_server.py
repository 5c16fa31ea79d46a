"""A real server: launch app.py on a free local port and complete one turn through gradio_client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path, shared_cache: Path):
    port = free_port()
    env = {**os.environ, "BOT_PORT": str(port), "BOT_DATA_DIR": str(tmp_path), "BOT_CACHE_DIR": str(shared_cache),
           "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("OPENAI_API_KEY", None)
    log = open(tmp_path / "app.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError((tmp_path / "app.log").read_text()) from None
            time.sleep(0.5)
    else:
        proc.kill()
        raise AssertionError("the app did not start within 120 s")
    yield url, tmp_path
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.mark.server
def test_one_turn_through_gradio_client(server) -> None:
    import sqlite3

    url, data_dir = server
    client = Client(url, verbose=False)
    chat, answer_box, status, *_ = client.predict("Ana", "embedding-engineer", "junior", api_name="/start")
    assert status == "" and chat[-1]["role"] == "assistant"
    out = client.predict("Embeddings map words to dense vectors so that similar words end up close together "
                         "in the vector space, which lets models measure similarity.", api_name="/submit")
    chat, answer_box, status, score, points = out[:5]
    assert status == "", status
    assert "/ 10" in score and "covered" in points or "missing" in points, (score, points)
    assert chat[-2]["role"] == "user"
    with sqlite3.connect(data_dir / "sessions.db") as db:
        assert db.execute("select count(*) from grades").fetchone()[0] == 1
