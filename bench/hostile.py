"""Peak memory of hostile zip inputs through the build's file pipeline and the validator (run by hand;
figures go to docs/scale.md). Target: every one refused, each under 1 GiB peak RSS.

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --inflated 600    # MB the bombs inflate to (default 600)

Bombs (xlsx-looking zips of zeros, about 1000:1):

- ``sheet``: the worksheet inflates to ``--inflated`` MB, sizes declared honestly (the tests' bomb,
  larger);
- ``shared``: the shared strings inflate to ``--inflated`` MB;
- ``lying``: the worksheet inflates to ``--inflated`` MB but the zip declares 1 MB for it (central
  directory and local header), with the CRC of the first declared megabyte: the declared-size check
  alone would let it through.

Each is opened in a child process by ``process_file`` (the build's worker) and by the validator's
command line (``openepb-validate``); the child's peak RSS comes from ``os.wait4`` and it runs under
a 6 GB address-space limit so a hog fails instead of taking the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

PIPELINE = """
import sys
from pathlib import Path
from openepb.build.pipeline import SourceFile, process_file
o = process_file(SourceFile("mos", Path(sys.argv[1]), "mos/reestr.xlsx"))
print(o.problem.code if o.problem else f"read: {len(o.result.rows)} rows")
"""

VALIDATOR = """
import sys
from openepb.validate.check import validate_file
r = validate_file(sys.argv[1])
print(r.code or r.status)
"""


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook {NS} xmlns:r="{REL}"><sheets><sheet name="Реестр" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    ),
}
#: One row of the sheet bomb, and one shared string of the shared-strings bomb (~1000:1 deflated).
ROW = '<row><c t="s"><v>0</v></c><c t="inlineStr"><is><t>Заключение</t></is></c></row>'
STRING = "<si><t>Заключение экспертизы промышленной безопасности</t></si>"


def bomb(path: Path, member: str, inflated_mb: int) -> Path:
    """A workbook calamine opens whose ``member`` (the sheet or the shared strings) inflates to
    about ``inflated_mb`` MB of repeated XML."""
    sheet = member.endswith("sheet1.xml")
    unit = (ROW if sheet else STRING).encode()
    block = unit * (2**20 // len(unit))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in PARTS.items():
            z.writestr(name, text)
        if not sheet:
            z.writestr(
                "xl/worksheets/sheet1.xml", f"<worksheet {NS}><sheetData>{ROW}</sheetData></worksheet>"
            )
        with z.open(member, "w") as out:
            out.write(f"<worksheet {NS}><sheetData>".encode() if sheet else f"<sst {NS}>".encode())
            for _ in range(inflated_mb):
                out.write(block)
            out.write(b"</sheetData></worksheet>" if sheet else b"</sst>")
        if sheet:
            z.writestr("xl/sharedStrings.xml", f"<sst {NS}>{STRING}</sst>")
    return path


def dense_sheet(path: Path, inflated_mb: int) -> Path:
    """Not a bomb: a sheet of ``inflated_mb`` MB of distinct numbers, compressed about 5:1, so it
    passes the ratio check and is read (what a workbook this large costs the readers)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in PARTS.items():
            z.writestr(name, text)
        z.writestr("xl/sharedStrings.xml", f"<sst {NS}>{STRING}</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(f"<worksheet {NS}><sheetData>".encode())
            written, n = 0, 0
            while written < inflated_mb * 2**20:
                rows = "".join(
                    f"<row><c><v>{(k * 2654435761) % 10**9}</v></c><c><v>{k}</v></c></row>"
                    for k in range(n, n + 10_000)
                ).encode()
                n += 10_000
                written += out.write(rows)
            out.write(b"</sheetData></worksheet>")
    return path


def lying_bomb(path: Path, inflated_mb: int, declared: int = 2**20) -> Path:
    """The sheet bomb with its inflated size declared as ``declared`` bytes (and that prefix's CRC)."""
    bomb(path, "xl/worksheets/sheet1.xml", inflated_mb)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name.decode())
        with z.open(info) as member:
            crc = zlib.crc32(member.read(declared))
    # local header: signature, version, flags, method, time, date, crc, csize, usize, ...
    local = info.header_offset
    assert data[local : local + 4] == b"PK\x03\x04"
    flags = struct.unpack_from("<H", data, local + 6)[0]
    if not flags & 0x08:
        struct.pack_into("<I", data, local + 14, crc)
        struct.pack_into("<I", data, local + 22, declared)
    # central directory entry
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == name:
            struct.pack_into("<I", data, at + 16, crc)
            struct.pack_into("<I", data, at + 24, declared)
            break
        at += 4
    path.write_bytes(bytes(data))
    return path


def run(script: str, path: Path, limit: int) -> tuple[str, float, int]:
    """The child's answer, wall seconds and peak RSS (its own: reaped with ``wait4``)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(  # noqa: PLW1509 - only sets a limit
            [sys.executable, "-c", script, str(path)], stdout=out, stderr=err, preexec_fn=cap
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = out.read().decode().strip()
        if child.returncode:
            lines = err.read().decode().strip().splitlines()
            text = f"exit {child.returncode}: {lines[-1] if lines else ''}"
    return text, seconds, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inflated", type=int, default=600, help="MB each bomb inflates to")
    parser.add_argument("--dense", type=int, default=100, help="MB of the dense sheet (read, not refused)")
    parser.add_argument("--as-limit", type=float, default=6e9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openepb-bench-hostile-") as tmp:
        folder = Path(tmp)
        bombs = {
            "sheet 64 MB (the tests' size)": bomb(folder / "test.xlsx", "xl/worksheets/sheet1.xml", 64),
            f"sheet {args.inflated} MB": bomb(
                folder / "sheet.xlsx", "xl/worksheets/sheet1.xml", args.inflated
            ),
            f"sharedStrings {args.inflated} MB": bomb(
                folder / "shared.xlsx", "xl/sharedStrings.xml", args.inflated
            ),
            f"sheet {args.inflated} MB declared as 1 MB": lying_bomb(folder / "lying.xlsx", args.inflated),
            f"dense sheet {args.dense} MB (not a bomb)": dense_sheet(folder / "dense.xlsx", args.dense),
        }
        print(f"{'bomb':<36} {'file':>8}  {'through':<13} {'answer':<22} {'peak RSS':>9} {'time':>7}")
        for label, path in bombs.items():
            for through, script in (("process_file", PIPELINE), ("validator", VALIDATOR)):
                said, seconds, peak = run(script, path, int(args.as_limit))
                print(
                    f"{label:<36} {path.stat().st_size / 1024:6.0f} KB  {through:<13} {said[:22]:<22} "
                    f"{peak / 2**20:6.0f} MB {seconds:6.1f} s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
