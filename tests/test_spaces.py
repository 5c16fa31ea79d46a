"""Ready for Hugging Face Spaces: the README's front matter, and history on persistent storage."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from bot import settings as settings_module
from bot.settings import Settings, storage_warning
from tests.helpers import requirement_lines

ROOT = Path(__file__).resolve().parent.parent


def front_matter() -> tuple[dict, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.DOTALL)
    assert match, "README.md must start with a --- YAML block (the Space's configuration)"
    return yaml.safe_load(match.group(1)), match.group(2)


def pinned(name: str) -> str:
    pins = dict(line.split("==") for line in requirement_lines(ROOT / "requirements.txt"))
    return pins[name]


def test_the_front_matter_matches_the_pins() -> None:
    meta, _ = front_matter()
    assert meta["sdk"] == "gradio"
    assert str(meta["sdk_version"]) == pinned("gradio")
    assert (ROOT / meta["app_file"]).is_file() and meta["app_file"] == "app.py"
    assert isinstance(meta["python_version"], str)  # unquoted, 3.10 would read as 3.1
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required == f">={meta['python_version']}"
    assert meta["title"] and meta["emoji"] and len(meta.get("short_description", "")) <= 60
    assert "hf_oauth" not in meta  # sign-in is issue 6's


def test_the_readme_still_opens_with_its_two_commands() -> None:
    _, body = front_matter()
    lines = [ln for ln in body.splitlines() if ln.strip()]
    assert lines[0] == "# Mock-interview coach"
    first_block = body.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
    assert "docs/deploy.md" in body


@pytest.fixture
def storage(tmp_path: Path, monkeypatch) -> Path:
    """Stand-in for the Space's /data mount."""
    data = tmp_path / "data"
    monkeypatch.setattr(settings_module, "SPACES_STORAGE", data)
    return data


def test_on_a_space_with_persistent_storage_history_goes_there(storage: Path) -> None:
    storage.mkdir()
    s = Settings.from_env({"SPACE_ID": "someone/coach"})
    assert s.database == storage / "interview-coach" / "sessions.db"
    assert storage_warning(s, {"SPACE_ID": "someone/coach"}) is None


def test_on_a_space_without_persistent_storage_the_page_warns(storage: Path) -> None:
    env = {"SPACE_ID": "someone/coach"}
    s = Settings.from_env(env)  # /data is not mounted
    assert s.data_dir == settings_module.ROOT / "data"
    warning = storage_warning(s, env)
    assert warning and "will not survive a restart" in warning and str(s.database.parent) in warning
    storage.mkdir()  # mounted, but the database was pointed elsewhere
    elsewhere = Settings.from_env({**env, "BOT_DATA_DIR": str(storage.parent / "tmp")})
    assert storage_warning(elsewhere, env) is not None


def test_off_spaces_there_is_no_warning(storage: Path) -> None:
    assert storage_warning(Settings.from_env({}), {}) is None


def test_on_a_space_the_app_listens_where_the_space_looks() -> None:
    assert (Settings.from_env({}).host, Settings.from_env({}).port) == ("127.0.0.1", 7860)
    on_space = Settings.from_env({"SPACE_ID": "someone/coach"})
    assert (on_space.host, on_space.port) == ("0.0.0.0", 7860)
    told = Settings.from_env({"SPACE_ID": "x/y", "GRADIO_SERVER_NAME": "::", "GRADIO_SERVER_PORT": "7861"})
    assert (told.host, told.port) == ("::", 7861)
    ours = Settings.from_env({"SPACE_ID": "x/y", "GRADIO_SERVER_PORT": "7861", "BOT_HOST": "127.0.0.1",
                              "BOT_PORT": "9000"})
    assert (ours.host, ours.port) == ("127.0.0.1", 9000)


def test_the_app_takes_one_request_per_core_when_grading_offline_and_more_with_an_llm() -> None:
    cores = len(os.sched_getaffinity(0))
    assert Settings.from_env({}).requests_at_once == cores  # grading is CPU work: a Space's 2 vCPUs, 2
    llm = {"BOT_LLM_MODEL": "gpt-4o-mini", "OPENAI_API_KEY": "sk-test"}
    assert Settings.from_env(llm).requests_at_once == 4  # waiting on the network
    assert Settings.from_env({**llm, "BOT_CONCURRENCY": "7"}).requests_at_once == 7
    assert Settings.from_env({"BOT_CONCURRENCY": "0"}).requests_at_once == 1
