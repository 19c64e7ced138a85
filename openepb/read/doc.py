"""Word 97–2003 documents (and RTF saved as .doc): LibreOffice converts them to docx, then the docx
reader reads the tables.

Each conversion gets a private LibreOffice profile in its own temporary directory, so conversions
can run side by side and never touch the user's profile. An encrypted .doc is refused before
LibreOffice is started (it would stop at a password prompt).
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import olefile

from openepb.read import RawRow, ReadError
from openepb.read.docx import read_docx

CONVERT_TIMEOUT = 180  # seconds; a healthy conversion of a register takes a few
SOFFICE_NAMES = ("soffice", "libreoffice")
FIB_FLAGS_OFFSET = 0x0A
FIB_ENCRYPTED = 0x0100  # fEncrypted in the Word FIB header


def read_doc(path: Path) -> Iterator[RawRow]:
    """Rows of every table of a .doc (or RTF) file, via a docx made by LibreOffice."""
    path = Path(path)
    refuse_encrypted(path)
    with tempfile.TemporaryDirectory(prefix="openepb-doc-") as work:
        converted = convert_to_docx(path, Path(work))
        yield from read_docx(converted)


def refuse_encrypted(path: Path) -> None:
    """``file_encrypted`` for a password-protected Word binary file."""
    if not olefile.isOleFile(str(path)):
        return  # RTF: no encryption flag to read
    try:
        with olefile.OleFileIO(str(path)) as ole:
            header = ole.openstream("WordDocument").read(FIB_FLAGS_OFFSET + 2)
    except Exception as e:  # olefile raises bare Exception subclasses on damaged files
        raise ReadError("file_corrupt", f"doc: поток WordDocument не читается ({e})") from e
    if len(header) < FIB_FLAGS_OFFSET + 2:
        raise ReadError("file_corrupt", "doc: заголовок документа Word обрезан")
    (flags,) = struct.unpack_from("<H", header, FIB_FLAGS_OFFSET)
    if flags & FIB_ENCRYPTED:
        raise ReadError("file_encrypted", "doc: документ Word защищён паролем")


def soffice_binary() -> str:
    """The LibreOffice executable, or ``conversion_failed`` saying it is missing."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ReadError("conversion_failed", "LibreOffice (soffice) не установлен: .doc не преобразовать в .docx")


def convert_to_docx(path: Path, work: Path) -> Path:
    """Convert ``path`` with LibreOffice inside ``work``; the docx path or ``conversion_failed``."""
    soffice = soffice_binary()
    source = work / ("source.rtf" if not olefile.isOleFile(str(path)) else "source.doc")
    shutil.copyfile(path, source)
    outdir = work / "out"
    command = [
        soffice,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={(work / 'profile').as_uri()}",
        "--convert-to",
        "docx",
        "--outdir",
        str(outdir),
        str(source),
    ]
    returncode, output = run_with_timeout(command, CONVERT_TIMEOUT)
    converted = outdir / "source.docx"
    if returncode != 0 or not converted.is_file():
        detail = output.strip().splitlines()[-1:] or ["нет вывода"]
        raise ReadError(
            "conversion_failed",
            f"LibreOffice завершился с кодом {returncode} без файла .docx: {detail[0][:200]}",
        )
    return converted


def run_with_timeout(command: list[str], timeout: float) -> tuple[int, str]:
    """Run a command in its own process group; on timeout the whole group is killed."""
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
    except OSError as e:
        raise ReadError("conversion_failed", f"LibreOffice не запускается: {e.strerror or e}") from e
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as e:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ReadError(
            "conversion_failed", f"LibreOffice не уложился в {timeout:g} с и был остановлен"
        ) from e
    return process.returncode, output.decode("utf-8", errors="replace")
