#!/usr/bin/env python3
"""Entry point: see ``python build.py --help``."""

from openepb.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
