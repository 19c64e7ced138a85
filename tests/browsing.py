"""What the browser tests share: Debian's Chromium with the flags this sandbox needs, and a quiet
static server on 127.0.0.1 for a built site."""

from __future__ import annotations

import csv
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: As root, without the background-networking flags Chromium keeps trying hosts the sandbox refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free port of 127.0.0.1; yields the base URL (ending in ``/``)."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def render_demo_site(database: Path, root: Path) -> Path:
    """The rankings and pages of a demo build written into ``root``; returns the rankings folder."""
    from openepb.publish.rank import build_rankings
    from openepb.publish.site import render_site

    rank_dir = root / "data" / "rank"
    build_rankings(database, rank_dir, quiet=True)
    render_site(database, rank_dir, root, quiet=True)
    return rank_dir


def truth_records(truth_dir: Path) -> list[dict[str, str]]:
    """Every record of the demo's truth (``records.csv``), as the generator wrote it."""
    with (truth_dir / "records.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def record_org_ids(database: Path) -> dict[str, tuple[str | None, str | None]]:
    """Number → (expert organization id, applicant id): the resolver's ids, the one thing the
    browser tests take from the store (the truth has no ids)."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT reg_number, expert_org_id, applicant_id FROM records").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, for one test module."""
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
