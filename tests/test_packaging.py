"""The package a build needs imports without the demo's writers, which are an optional extra."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_ONLY = ("reportlab", "msoffcrypto")

IMPORT_ALL_BUT_DEMO = f"""
import importlib, pkgutil, sys
for name in {DEMO_ONLY!r}:
    sys.modules[name] = None  # an import of it now raises ImportError
import openepb
for module in pkgutil.walk_packages(openepb.__path__, "openepb."):
    if not module.name.startswith("openepb.demo"):
        importlib.import_module(module.name)
print("ok")
"""


def test_runtime_dependencies_leave_the_demo_writers_to_the_demo_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert not any(name in runtime for name in ("reportlab", "msoffcrypto"))
    demo = " ".join(project["optional-dependencies"]["demo"]).lower()
    assert "reportlab" in demo and "msoffcrypto-tool" in demo


def test_every_module_but_the_demo_imports_without_the_demo_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_BUT_DEMO], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
