"""The one object a build carries from stage to stage: paths, options, sources and the log.

Like zavod's ``Context``: the command line makes it once, and every stage takes what it needs from
it, so no stage reads ``argparse`` options, guesses a neighbour's folder or keeps its own quiet flag.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from openepb.contract.sources import ROOT, SOURCES_DIR, Sources, load_sources


class RussianHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` in Russian: argparse's own words (usage, section titles) are English."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse's signature
        super().add_usage(usage, actions, groups, prefix or "использование: ")


def argument_parser(**kwargs: object) -> argparse.ArgumentParser:
    """An argument parser whose help, section titles included, reads in Russian."""
    parser = argparse.ArgumentParser(formatter_class=RussianHelpFormatter, add_help=False, **kwargs)
    parser._positionals.title = "аргументы"
    parser._optionals.title = "параметры"
    parser.add_argument("-h", "--help", action="help", help="показать эту справку и выйти")
    return parser


class Log:
    """Progress and warnings on stderr; progress is silenced by ``quiet``, warnings and errors never."""

    def __init__(self, quiet: bool = False, prefix: str = "") -> None:
        self.quiet = quiet
        self.prefix = prefix

    def child(self, prefix: str) -> Log:
        return Log(self.quiet, prefix)

    def info(self, message: str) -> None:
        if not self.quiet:
            self._write(message)

    def warning(self, message: str) -> None:
        self._write(f"warning: {message}")

    def error(self, message: str) -> None:
        self._write(f"error: {message}")

    def _write(self, message: str) -> None:
        print(f"{self.prefix}: {message}" if self.prefix else message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Paths:
    """Where a build reads and writes: ``out`` holds the database, caches and state."""

    out: Path = ROOT / "build"
    site: Path = ROOT / "site"
    exports: Path = ROOT / "exports"
    sources: Path = SOURCES_DIR

    @property
    def database(self) -> Path:
        return self.out / "openepb.duckdb"

    @property
    def state(self) -> Path:
        """Baselines carried from build to build (counts, offices' last good records, feeds)."""
        return self.out / "state"

    @property
    def mirror(self) -> Path:
        return self.out / "mirror"

    @property
    def freshness(self) -> Path:
        return self.out / "freshness.json"

    @property
    def rank(self) -> Path:
        return self.site / "data" / "rank"


@dataclass(frozen=True)
class Options:
    """What the build was asked to do."""

    demo: bool = False
    input: Path | None = None
    offline: bool = False
    demo_scale: float = 1.0
    seed: int = 2018
    workers: int | None = None
    quiet: bool = False
    accept_shrink: bool = False
    no_cache: bool = False  # read every file afresh and rerun every publish stage

    @property
    def harvested(self) -> bool:
        """Built from the offices' websites (live or the last harvest's cache), so dated to today."""
        return not (self.demo or self.input)


@dataclass
class BuildContext:
    paths: Paths = field(default_factory=Paths)
    options: Options = field(default_factory=Options)
    sources: Sources | None = None
    log: Log = field(default_factory=Log)

    @classmethod
    def create(cls, paths: Paths, options: Options) -> BuildContext:
        # read afresh, not from the cache: a build sees today's acceptances
        sources = load_sources.__wrapped__(paths.sources)
        return cls(paths=paths, options=options, sources=sources, log=Log(options.quiet))

    @property
    def state_dir(self) -> Path | None:
        """The demo has no history: its counts and records never become anyone's baseline."""
        return None if self.options.demo else self.paths.state
