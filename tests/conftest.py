"""Shared fixtures. The demo build is made once per test run and shared by every xdist worker."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

#: Scale of the demo corpus the end-to-end tests build (1.0 is the default demo, ~30k records).
DEMO_SCALE = float(os.environ.get("OPENEPB_TEST_DEMO_SCALE", "0.5"))
DEMO_SEED = 2018


@dataclass(frozen=True)
class DemoBuild:
    corpus: object  # openepb.demo.generator.DemoCorpus
    database: Path
    out: Path


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    from openepb.build.pipeline import build_database
    from openepb.demo.generator import generate

    # Under xdist getbasetemp() is per worker and its parent belongs to this run; without xdist the
    # parent outlives the run, so the run's own base folder is used.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-build"
    shared.mkdir(exist_ok=True)
    database = shared / "openepb.duckdb"
    ready = shared / "ready.json"
    with (shared / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            made = generate(shared / "demo", scale=DEMO_SCALE, seed=DEMO_SEED)
            build_database(made.corpus_dir, database, quiet=True)
            paths = {"corpus_dir": str(made.corpus_dir), "truth_dir": str(made.truth_dir)}
            ready.write_text(json.dumps(paths), encoding="utf-8")
        fcntl.flock(lock, fcntl.LOCK_UN)
    corpus = SimpleNamespace(**{k: Path(v) for k, v in json.loads(ready.read_text(encoding="utf-8")).items()})
    return DemoBuild(corpus, database, shared)
