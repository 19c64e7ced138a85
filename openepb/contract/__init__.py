"""The contract: every field, value format, code list, problem code, table and source, declared once.

Every stage reads these; none redefines them.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ROOT = PACKAGE_DIR.parent
SCHEMA_DIR = ROOT / "schema"
STATIC_DIR = PACKAGE_DIR / "static"
