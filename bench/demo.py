"""Time the demo corpus generator: ``python bench/demo.py [scale ...]`` (default: 1 and 10).

Prints, per scale, the records, files, corpus size, wall time and peak memory of the process.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openepb.demo.generator import generate  # noqa: E402


def corpus_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main(argv: list[str]) -> None:
    scales = [float(arg) for arg in argv] or [1.0, 10.0]
    print(f"{'scale':>7} {'records':>10} {'files':>6} {'MB':>8} {'seconds':>8} {'rec/s':>8} {'peak MB':>8}")
    for scale in scales:
        with tempfile.TemporaryDirectory(prefix="openepb-bench-demo-") as tmp:
            started = time.perf_counter()
            made = generate(Path(tmp), scale=scale)
            seconds = time.perf_counter() - started
            size = corpus_size(made.corpus_dir) / 1e6
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rate = made.records / seconds
            print(
                f"{scale:>7g} {made.records:>10} {made.files:>6} {size:>8.1f} {seconds:>8.1f} {rate:>8.0f} {peak:>8.0f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
