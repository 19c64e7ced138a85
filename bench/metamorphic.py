"""Run every metamorphic variant through the reader and normalizer and print the scores (by hand).

    .venv/bin/python bench/metamorphic.py              # all variants, PDF ones need LibreOffice
    .venv/bin/python bench/metamorphic.py --only pdf   # variants whose name contains "pdf"

One line per variant: rows read as records, recall and precision of registration numbers, rejects
against the rows written to be rejected, and the accuracy of every field some variant carries;
then the first wrong value of each failing field.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# The harness lives with the tests; put it before this folder, whose script has the same name.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from metamorphic.layouts import COMPARED_FIELDS  # noqa: E402
from metamorphic.score import render_all, score  # noqa: E402
from metamorphic.variants import VARIANTS  # noqa: E402
from metamorphic.writers import soffice_binary  # noqa: E402

#: Short column titles for the table.
SHORT = {
    "reg_number_published": "pub",
    "date_registered": "date",
    "object_type": "type",
    "object_name": "object",
    "region": "region",
    "opo_reg_number": "opo#",
    "opo_name": "opo",
    "hazard_class": "class",
    "conclusion_result": "verdict",
    "operation_term": "term",
    "applicant_name": "a.name",
    "applicant_inn": "a.inn",
    "applicant_address": "a.addr",
    "applicant_head": "a.head",
    "applicant_phone": "a.tel",
    "applicant_email": "a.mail",
    "expert_org_name": "e.name",
    "expert_org_inn": "e.inn",
    "expert_org_address": "e.addr",
    "expert_org_phone": "e.tel",
    "expert_org_email": "e.mail",
    "licence_number": "lic",
    "expert_certificate": "cert",
    "excluded_date": "excl",
    "exclusion_reason": "reason",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only variants whose name contains this text")
    parser.add_argument("--examples", action="store_true", help="print the first wrong value per field")
    args = parser.parse_args()
    variants = [v for v in VARIANTS if args.only in v.name]
    if soffice_binary() is None:
        print("LibreOffice (soffice) not found: PDF variants left out", file=sys.stderr)
        variants = [v for v in variants if v.fmt != "pdf"]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="openepb-metamorphic-") as folder:
        rendered = render_all(variants, Path(folder))
        scores = [score(item) for item in rendered.values()]
    fields = [f for f in COMPARED_FIELDS if f in SHORT and any(f in s.carried for s in scores)]
    head = f"{'variant':34} {'rows':>4} {'recall':>7} {'prec':>6} {'rejects':>8}  " + " ".join(
        f"{SHORT[f]:>7}" for f in fields
    )
    print(head)
    print("-" * len(head))
    for s in scores:
        rejects = f"{sum(s.rejects.values())}/{sum(s.true_rejects.values())}"
        cells = []
        for f in fields:
            shown = s.field_total[f] and (f in s.carried or s.field_right[f] < s.field_total[f])
            cells.append(f"{s.accuracy(f):>7.0%}" if shown else f"{'·':>7}")
        print(
            f"{s.variant:34} {s.data_rows:>4} {s.recall:>7.1%} {s.precision:>6.1%} {rejects:>8}  "
            + " ".join(cells)
        )
    perfect = sum(1 for s in scores if s.numbers_ok() and s.fields_ok())
    print(f"\n{perfect} of {len(scores)} variants read perfectly; {time.perf_counter() - start:.1f} s")
    if args.examples:
        for s in scores:
            if not (s.numbers_ok() and s.fields_ok()):
                print()
                print(s.numbers_report())
                print(s.fields_report())


if __name__ == "__main__":
    main()
