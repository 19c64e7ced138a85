"""Cached rebuild benchmark: a cold build, a rebuild with nothing changed, a rebuild after one office changed.

    python bench/cache.py [--scale 1.0] [--seed 2018] [--workers 2] [--no-cache-too] [--keep DIR]

The demo corpus is generated once (not timed); every build is ``build.py --input <corpus>`` in a
fresh process, into one build folder, so the second and third builds find the cache and stamps of
the first. The one-office change rewrites one registration's expert organization in a CSV file of
one office (the rest of the corpus keeps its bytes). Wall time and the CPU time of the build
process and its workers are reported, each as a share of the cold build; ``records.csv`` of the
no-change rebuild is compared with the cold build's byte for byte. ``--no-cache-too`` also times a
``--no-cache`` build (the build as it was without the cache).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openepb.demo.generator import generate  # noqa: E402

#: The office whose file is changed, and the encoding of its CSV files.
CHANGED_OFFICE, CHANGED_ENCODING = "cntr", "cp1251"


def run_build(corpus: Path, work: Path, workers: int, *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds of one build (the CPU time of the process and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [
        sys.executable,
        str(ROOT / "build.py"),
        "--input",
        str(corpus),
        "--out",
        str(work / "out"),
        "--site",
        str(work / "site"),
        "--exports",
        str(work / "exports"),
        "--workers",
        str(workers),
        "--quiet",
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        sys.exit(f"build failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def change_one_office(corpus: Path) -> Path:
    """Rename the expert organization of the first record of one CSV file of one office."""
    path = sorted((corpus / CHANGED_OFFICE).rglob("*.csv"))[0]
    text = path.read_bytes().decode(CHANGED_ENCODING)
    lines = text.split("\r\n")
    header, cells = lines[0].split(";"), lines[1].split(";")
    column = next(i for i, name in enumerate(header) if "экспертной" in name.lower())
    cells[column] = '"ООО ""Экспертиза-Изменено"""'
    lines[1] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode(CHANGED_ENCODING))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-cache-too", action="store_true", help="also time a --no-cache build")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="openepb-bench-cache-"))
    shutil.rmtree(work / "build", ignore_errors=True)
    try:
        corpus = generate(work / "demo", scale=args.scale, seed=args.seed).corpus_dir
        files = sum(1 for p in corpus.rglob("*") if p.is_file())
        print(f"corpus: {files} files, scale {args.scale}, seed {args.seed}, workers {args.workers}")
        build = work / "build"
        results: list[tuple[str, float, float]] = []
        if args.no_cache_too:
            results.append(("no-cache", *run_build(corpus, work / "plain", args.workers, "--no-cache")))
            shutil.rmtree(work / "plain", ignore_errors=True)
        results.append(("cold", *run_build(corpus, build, args.workers)))
        cold_csv = sha(build / "exports" / "records.csv")
        results.append(("no-change", *run_build(corpus, build, args.workers)))
        same = sha(build / "exports" / "records.csv") == cold_csv
        changed = change_one_office(corpus)
        results.append(("one office changed", *run_build(corpus, build, args.workers)))
        moved = sha(build / "exports" / "records.csv") != cold_csv
        cold_wall, cold_cpu = next((w, c) for name, w, c in results if name == "cold")
        print(f"{'build':<20} {'wall s':>8} {'cpu s':>8} {'wall/cold':>10} {'cpu/cold':>9}")
        for name, wall, cpu in results:
            print(f"{name:<20} {wall:>8.1f} {cpu:>8.1f} {wall / cold_wall:>10.1%} {cpu / cold_cpu:>9.1%}")
        print(f"records.csv after the no-change rebuild identical to the cold build's: {same}")
        print(f"records.csv changed after rewriting {changed.relative_to(corpus)}: {moved}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
