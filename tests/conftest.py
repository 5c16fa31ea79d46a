"""Shared fixtures: the real embedder (loaded once), settings on a temp folder, a fake LLM."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from bot.settings import Settings, offline_models

offline_models()  # as app.py and the command line do at start-up, before any model library loads
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from bot.corpus import load_corpus  # noqa: E402
from bot.embeddings import SentenceTransformerEmbedder  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real model, loaded once; it keeps no state (each assessor builds its own VectorCache)."""
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def corpus():
    s = Settings.from_env({})
    return load_corpus(s.corpus_dir, s.rubrics_dir)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One index cache for the whole run: building it once is enough."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def settings(tmp_path: Path, shared_cache: Path) -> Settings:
    return replace(Settings.from_env({}), data_dir=tmp_path, cache_dir=shared_cache)


@pytest.fixture
def fake_llm():
    with FakeOpenAI() as server:
        yield server
