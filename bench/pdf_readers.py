"""The PDF reader on PDFium's chars against the pdfplumber reader: the same rows, and how fast (by hand).

    .venv/bin/python bench/pdf_readers.py                # the demo corpus (generated) and the metamorphic PDFs
    .venv/bin/python bench/pdf_readers.py --pdfs DIR     # every PDF under DIR instead of the demo corpus
    .venv/bin/python bench/pdf_readers.py --no-metamorphic

For every PDF: the rows of ``read_pdf`` (PDFium) and of ``read_pdf_pdfplumber`` must be the same; any
difference is printed. Then the times summed over the files:

* floor — pypdfium2 alone pulling every char with its box: ``count_chars`` and, per char, its code
  (``FPDFText_GetUnicode``) and box (``FPDFText_GetCharBox``), the least any reader of positions
  needs from the library (it counts opening the document, loading each page and its text page);
* old — the pdfplumber reader; new — the PDFium reader; and new/floor.

Each time is the least of ``--repeat`` rounds, each round running the three one after the other on
the file, so that the ratio holds on a machine others share (the dictionary of Russian word forms
is loaded once per process, by the first reader that needs it, in the first round).

The metamorphic PDFs are Word files exported by LibreOffice (tests/metamorphic); without LibreOffice
they are skipped.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from openepb.read.pdf import read_pdf, read_pdf_pdfplumber  # noqa: E402


def floor(path: Path) -> int:
    """Every char's code and box through pypdfium2; returns the number of chars."""
    document = pdfium.PdfDocument(str(path))
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    refs = [ctypes.byref(v) for v in (left, right, bottom, top)]
    total = 0
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        raw = textpage.raw
        count = textpage.count_chars()
        for i in range(count):
            pdfium_c.FPDFText_GetUnicode(raw, i)
            pdfium_c.FPDFText_GetCharBox(raw, i, *refs)
        total += count
        textpage.close()
        page.close()
    document.close()
    return total


REPEAT = 1


def timed_together(functions: dict, path: Path) -> tuple[dict, dict[str, float]]:
    """Each function's result and its least time over ``REPEAT`` rounds; every round runs them all
    one after the other, so that each sees the same load of a shared machine."""
    results: dict = {}
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(REPEAT):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function(path)
            best[name] = min(best[name], time.perf_counter() - started)
    return results, best


def demo_pdfs(folder: Path) -> list[Path]:
    from openepb.demo.generator import generate

    generate(folder)
    return sorted(folder.rglob("*.pdf"))


def metamorphic_pdfs(folder: Path) -> list[Path]:
    from metamorphic.score import render_all
    from metamorphic.variants import VARIANTS
    from metamorphic.writers import soffice_binary

    if soffice_binary() is None:
        print("metamorphic: LibreOffice is not installed, skipped")
        return []
    rendered = render_all([v for v in VARIANTS if v.fmt == "pdf"], folder)
    return sorted(item.path for item in rendered.values() if item.path.suffix == ".pdf")


def compare(path: Path, label: str, totals: dict[str, float]) -> bool:
    results, times = timed_together(
        {"floor": floor, "old": lambda p: list(read_pdf_pdfplumber(p)), "new": lambda p: list(read_pdf(p))},
        path,
    )
    chars, old, new = results["floor"], results["old"], results["new"]
    t_floor, t_old, t_new = times["floor"], times["old"], times["new"]
    for key, value in times.items():
        totals[key] += value
    same = old == new
    print(
        f"{label:<52} {chars:>8} {len(new):>6} {t_floor:7.3f} {t_old:7.3f} {t_new:7.3f}"
        f" {t_new / t_floor:6.2f} {'same' if same else 'DIFFERENT'}"
    )
    if not same:
        print(f"  rows: old {len(old)}, new {len(new)}")
        shown = 0
        for a, b in zip(old, new, strict=False):
            if a != b:
                print(f"  old {a}\n  new {b}")
                shown += 1
                if shown == 5:
                    break
    return same


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pdfs", type=Path, help="read every PDF under this folder instead of the demo corpus"
    )
    parser.add_argument("--no-metamorphic", action="store_true", help="skip the LibreOffice-exported PDFs")
    parser.add_argument("--no-demo", action="store_true", help="only the metamorphic PDFs")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of all three per file; the least time counts"
    )
    args = parser.parse_args()
    global REPEAT
    REPEAT = args.repeat
    with tempfile.TemporaryDirectory(prefix="pdf-readers-") as tmp:
        groups: dict[str, list[Path]] = {}
        if not args.no_demo:
            groups["demo"] = sorted(args.pdfs.rglob("*.pdf")) if args.pdfs else demo_pdfs(Path(tmp) / "demo")
        if not args.no_metamorphic:
            groups["metamorphic"] = metamorphic_pdfs(Path(tmp) / "metamorphic")
        print(f"{'file':<52} {'chars':>8} {'rows':>6} {'floor':>7} {'old':>7} {'new':>7} {'new/fl':>6}")
        failures = 0
        for group, paths in groups.items():
            totals = {"floor": 0.0, "old": 0.0, "new": 0.0}
            for path in paths:
                base = args.pdfs if group == "demo" and args.pdfs else Path(tmp) / group
                label = str(path.relative_to(base)) if path.is_relative_to(base) else path.name
                failures += not compare(path, label[-52:], totals)
            if paths:
                print(
                    f"{group}: {len(paths)} PDFs, floor {totals['floor']:.2f} s, old {totals['old']:.2f} s,"
                    f" new {totals['new']:.2f} s, new/floor {totals['new'] / totals['floor']:.2f},"
                    f" old/new {totals['old'] / totals['new']:.1f}"
                )
        print("all rows the same" if not failures else f"{failures} PDFs read differently")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
