"""Shared fixtures for the data set tests: one local HTTP server and one set of raw-format fixture files
per session; every test gets its own empty cache and the fixture manifests in front of the built-in ones."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dsfixtures import Fixtures, build  # noqa: E402
from dsserver import FixtureServer  # noqa: E402


@pytest.fixture(scope="session")
def server():
    srv = FixtureServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def fixtures(server, tmp_path_factory) -> Fixtures:
    return build(tmp_path_factory.mktemp("raw-fixtures"), server)


@pytest.fixture
def env(fixtures, server, tmp_path, monkeypatch) -> Path:
    """A fresh cache with the fixture manifests active; returns the cache root."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GTDATA_HOME", str(cache))
    monkeypatch.setenv("GTDATA_MANIFESTS", str(fixtures.manifests))
    monkeypatch.setenv("GTDATA_BACKOFF", "0.01")
    monkeypatch.setenv("GTDATA_RETRIES", "2")
    monkeypatch.delenv("GTDATA_MIRROR", raising=False)
    server.reset()
    return cache
