"""Benchmark the build on a generated demo corpus (run by hand, not in CI).

    .venv/bin/python bench/build.py --scale 7          # ≈ 200k records
    .venv/bin/python bench/build.py --corpus build/bench/demo/corpus   # reuse a corpus

Reports seconds per stage, rows/s, peak RSS, and, for comparison, the time the bare libraries
(python-calamine, csv, lxml, python-docx) take to read the same files; for PDFs, which no library
reads as table rows, the floor is pypdfium2 pulling every char with its box (bench/pdf_readers.py).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import resource
import time
from collections import Counter
from pathlib import Path

from openepb import read as readers
from openepb.build.pipeline import build_database, discover_files
from openepb.contract.sources import ROOT, load_sources
from openepb.normalize.rows import normalize_rows


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def bare_read(path: Path, fmt: str) -> int:
    """Rows as the plain library gives them, with no cleaning: the floor our readers are held to."""
    if fmt in ("xlsx", "xls"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        return sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names)
    if fmt == "csv":
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig") if raw[:3] == b"\xef\xbb\xbf" else raw.decode("cp1251", "replace")
        return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=";"))
    if fmt == "html":
        import lxml.html

        doc = lxml.html.fromstring(path.read_bytes())
        return sum(1 for _ in doc.iter("tr"))
    if fmt == "doc":
        import tempfile

        from openepb.demo.writers import libreoffice_convert

        with tempfile.TemporaryDirectory() as tmp:  # the only way to read Word 97: convert it
            [converted] = libreoffice_convert([path], "docx", Path(tmp))
            return bare_read(converted, "docx")
    if fmt == "docx":
        import docx

        return sum(len(t.rows) for t in docx.Document(str(path)).tables)
    if fmt == "pdf":  # no library gives a PDF's table rows: the floor is pulling every char with its box
        from pdf_readers import floor as pdf_char_floor  # bench/pdf_readers.py, next to this script

        pdf_char_floor(path)
        return 0
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--corpus", type=Path, help="an existing corpus folder (skip generation)")
    args = parser.parse_args()

    timings: dict[str, float] = {}
    corpus_dir = args.corpus
    if corpus_dir is None:
        from openepb.demo.generator import generate

        t = time.perf_counter()
        corpus_dir = generate(args.out / "demo", scale=args.scale, seed=args.seed).corpus_dir
        timings["generate corpus"] = time.perf_counter() - t

    files, _ = discover_files(corpus_dir, load_sources())
    formats: dict[Path, str] = {}
    for f in files:
        with contextlib.suppress(readers.ReadError):
            formats[f.path] = readers.detect_format(f.path)

    per_format: dict[str, list[float]] = {fmt: [0.0, 0.0, 0.0] for fmt in set(formats.values())}
    t = time.perf_counter()
    bare_rows = 0
    for p, fmt in formats.items():
        started = time.perf_counter()
        bare_rows += bare_read(p, fmt)
        per_format[fmt][0] += time.perf_counter() - started
    timings["bare libraries: read"] = time.perf_counter() - t

    t = time.perf_counter()
    our_rows = 0
    for p, fmt in formats.items():
        started = time.perf_counter()
        with contextlib.suppress(readers.ReadError):
            our_rows += sum(1 for _ in readers.read_rows(p, fmt))
        per_format[fmt][1] += time.perf_counter() - started
    timings["openepb readers: read"] = time.perf_counter() - t

    t = time.perf_counter()
    kinds: Counter = Counter()
    for p, fmt in formats.items():
        started = time.perf_counter()
        try:
            result = normalize_rows(list(readers.read_rows(p, fmt)), p.name)
        except readers.ReadError:
            continue
        finally:
            per_format[fmt][2] += time.perf_counter() - started
        kinds.update(r.kind for r in result.rows)
    timings["read + normalize, 1 process"] = time.perf_counter() - t

    for workers in (1, 2):
        t = time.perf_counter()
        summary = build_database(
            corpus_dir, args.out / f"bench-{workers}.duckdb", quiet=True, workers=workers
        )
        timings[f"whole build, {workers} worker(s)"] = time.perf_counter() - t

    print(f"files: {len(files)} ({dict(Counter(formats.values()))})")
    print(f"rows read: {our_rows} (bare libraries: {bare_rows}); records: {summary.records}")
    print(f"row kinds: {dict(kinds)}")
    for stage, seconds in timings.items():
        rate = our_rows / seconds if seconds else 0
        print(f"{stage:<32} {seconds:8.2f} s  {rate:10.0f} rows/s")
    print(f"{'format':<8} {'bare read':>10} {'our read':>10} {'read+norm':>10} {'ours/floor':>10}")
    for fmt, (bare_s, ours_s, both_s) in sorted(per_format.items()):
        ratio = f"{ours_s / bare_s:.2f}x" if bare_s else "-"
        print(f"{fmt:<8} {bare_s:>9.2f}s {ours_s:>9.2f}s {both_s:>9.2f}s {ratio:>10}")
    bare = timings["bare libraries: read"]
    best = min(timings["whole build, 1 worker(s)"], timings["whole build, 2 worker(s)"])
    print(f"whole build / bare read: {best / bare:.2f}x (target ≤ 1.5x)")
    own, children = peak_rss_mb()
    print(f"peak RSS: {own:.0f} MB (this process), {children:.0f} MB (largest worker)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
