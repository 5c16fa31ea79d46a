"""The server: one turn through gradio_client on app.py, and the runtime settings that keep it
fast under load (thread pools, uvloop + httptools, Gradio's queue)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gradio_client import Client

from bot.replies import reply
from devtools.appserver import AppServer
from tests.helpers import ROOT


@pytest.fixture
def server(tmp_path: Path, shared_cache: Path):
    with AppServer(tmp_path, cache_dir=shared_cache, start_timeout_s=120) as url:
        yield url, tmp_path


def test_one_thread_per_request_reaches_every_thread_pool() -> None:
    """torch, FAISS and numpy each keep a pool of workers that spin while idle; uncapped, they burn
    the CPU the other requests need (`python -m bot loadtest`, README's Speed section)."""
    probe = ("import json, torch; from bot.services import limit_threads; from threadpoolctl import threadpool_info; "
             "limit_threads(1); "
             "print(json.dumps({'torch': torch.get_num_threads(), "
             "'pools': [(p['internal_api'], p['num_threads']) for p in threadpool_info()]}))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.splitlines()[-1])
    apis = {api for api, _ in found["pools"]}
    assert {"openmp", "openblas"} <= apis, found  # the pools this machine's wheels bring
    assert found["torch"] == 1 and all(n == 1 for _, n in found["pools"]), found


def test_gradio_keeps_no_per_request_summary_and_never_imports_pyplot() -> None:
    """See app.tune_gradio: checked on the Gradio version we pin, in a process of its own."""
    probe = ("import sys, app; app.tune_gradio(); import gradio as gr; from gradio.utils import "
             "MatplotlibBackendMananger as M; q = gr.Blocks().queue()._queue; m = M(); m.__enter__(); "
             "m.__exit__(None, None, None); "
             "print(q.ANAYLTICS_CACHE_FREQUENCY, q.ANALYTICS_MAX_EVENTS, 'matplotlib.pyplot' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_ANALYTICS_", "MPLBACKEND"))}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["1000", "1000", "False"], out.stdout


def test_gradio_queue_looks_for_work_every_10_ms_not_every_millisecond() -> None:
    """See app.quiet_queue: the attribute is Gradio's own, so a Gradio that renames it must fail here rather than
    quietly poll a thousand times a second again."""
    probe = ("import app, gradio as gr; demo = gr.Blocks().queue(); before = demo._queue.sleep_when_free; "
             "app.quiet_queue(demo); print(before, demo._queue.sleep_when_free)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, after = map(float, out.stdout.split()[-2:])
    assert before < 0.01 and after == 0.01, out.stdout


def test_the_server_runs_on_uvloop_and_httptools() -> None:
    """Gradio's uvicorn picks these when installed; with the pure-Python h11 and asyncio loop the
    event loop thread took about a quarter of the app's CPU under `python -m bot loadtest`."""
    from uvicorn.config import Config

    async def app(scope, receive, send) -> None: ...

    config = Config(app=app)
    config.load()
    assert config.http_protocol_class.__module__.endswith("httptools_impl")
    assert config.get_loop_factory().__module__.startswith("uvloop")


@pytest.mark.server
def test_one_turn_through_gradio_client(server) -> None:
    import sqlite3

    url, data_dir = server
    client = Client(url, verbose=False)
    started = reply("/start", client.predict("Ana", "embedding-engineer", "junior", api_name="/start"))
    assert started["status"] == "" and started["chat"][-1]["role"] == "assistant"
    out = reply("/submit", client.predict("Embeddings map words to dense vectors so that similar words end up close "
                                          "together in the vector space, which lets models measure similarity.",
                                          api_name="/submit"))
    chat, status, score, points = out["chat"], out["status"], out["score"], out["points"]
    assert status == "", status
    shown = re.match(r"### (\d+(?:\.\d)?) / 10\n", score)
    assert shown, score
    assert "covered" in points or "missing" in points, points
    assert chat[-2]["role"] == "user"
    with sqlite3.connect(data_dir / "sessions.db") as db:
        assert db.execute("select count(*) from grades").fetchone()[0] == 1
        stored = db.execute("select score from grades").fetchone()[0]
    assert 0.0 <= float(shown.group(1)) <= 10.0 and float(shown.group(1)) == round(stored, 1), (score, stored)
