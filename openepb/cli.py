"""Command line: ``python build.py [--demo | --input DIR]`` and ``python build.py validate FILE…``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from openepb.config import ROOT, SOURCES_DIR, Sources
from openepb.expectations import Gate, commit_offices, save_counts, snapshot_offices
from openepb.feeds import commit_state

#: Exit statuses of a build (also in --help and docs/quality.md).
EXIT_PUBLISHED = 0  # every office's new data published
EXIT_FAILED = 1  # nothing new published: the previous site and exports stay as they were
EXIT_USAGE = 2  # wrong arguments (argparse uses 2 as well)
EXIT_HELD_BACK = 3  # published, but some offices held back: their previous build's data are published

EXIT_CODES_HELP = """\
коды выхода:
  0  опубликовано всё: новые данные каждого управления
  1  ничего нового не опубликовано (ошибка сбора или публикации, нет файлов управлений, задержаны
     все управления); прежние сайт и выгрузки не тронуты
  2  неверные параметры (нет папки --input)
  3  опубликовано, но часть управлений задержана (подозрительное чтение mapping_suspect или
     нарушены ожидания по числу записей): у них опубликованы данные прошлой сборки, а если её
     нет — ничего; список — в строках «held back:» сводки и на странице «Качество данных»
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Собрать реестр заключений ЭПБ: прочитать файлы управлений, нормализовать, сохранить.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="сгенерировать демо-корпус и собрать из него")
    source.add_argument(
        "--input", type=Path, metavar="DIR", help="собрать из локального зеркала (папка на управление)"
    )
    source.add_argument(
        "--offline", action="store_true", help="собрать из кэша прошлого сбора с сайтов, без обращения к сети"
    )
    parser.add_argument(
        "--demo-scale", type=float, default=1.0, help="множитель объёма демо-корпуса (1.0 ≈ 30 тыс.)"
    )
    parser.add_argument("--seed", type=int, default=2018, help="зерно генератора демо-корпуса")
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="папка сборки (по умолчанию build/)")
    parser.add_argument(
        "--site", type=Path, default=ROOT / "site", help="куда собрать сайт (по умолчанию site/)"
    )
    parser.add_argument(
        "--exports",
        type=Path,
        default=ROOT / "exports",
        help="куда выгрузить открытые данные (по умолчанию exports/)",
    )
    parser.add_argument("--workers", type=int, default=None, help="число процессов чтения (по умолчанию 2)")
    parser.add_argument("--quiet", action="store_true", help="без индикаторов прогресса")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="читать каждый файл заново, не используя кэш прочитанных файлов в <out>/cache "
        "(то же — переменная окружения OPENEPB_NO_CACHE)",
    )
    parser.add_argument(
        "--sources",
        type=Path,
        default=SOURCES_DIR,
        metavar="DIR",
        help="папка с описанием управлений и принятыми решениями (по умолчанию sources/)",
    )
    parser.add_argument(
        "--accept-shrink",
        action="store_true",
        help="разово, только в этой сборке, опубликовать новые данные всех задержанных управлений "
        "(падение числа записей, подозрительное чтение); постоянное решение по конкретному файлу "
        "или числу записей — запись в sources/accepted.yaml",
    )
    return parser


def _log(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def run_build(args: argparse.Namespace) -> int:
    from openepb.config import load_sources
    from openepb.pipeline import build_database, format_summary

    out: Path = args.out
    sources = load_sources.__wrapped__(args.sources)  # read afresh: a build sees today's acceptances
    if args.demo:
        from openepb.demo.generator import generate

        started = time.perf_counter()
        _log(args.quiet, f"demo: generating corpus (scale {args.demo_scale}, seed {args.seed}) …")
        try:
            corpus = generate(out / "demo", scale=args.demo_scale, seed=args.seed)
        except ModuleNotFoundError as err:  # the demo's writers are an optional extra
            print(f"error: the demo corpus needs {err.name}: pip install 'openepb[demo]'", file=sys.stderr)
            return 2
        _log(args.quiet, f"demo: corpus ready in {time.perf_counter() - started:.1f} s")
        input_dir = corpus.corpus_dir
    elif args.input:
        input_dir = args.input
        if not input_dir.is_dir():
            print(f"error: --input {input_dir}: no such folder", file=sys.stderr)
            return EXIT_USAGE
    else:
        input_dir = run_harvest(out, sources, offline=args.offline, quiet=args.quiet)
        if input_dir is None:
            return EXIT_FAILED
    # The demo has no history: its counts and records never become anyone's baseline.
    state_dir = None if args.demo else out / "state"
    gate = Gate(sources, state_dir, accept_all=args.accept_shrink)
    started = time.perf_counter()
    from openepb.cache import default_cache

    summary = build_database(
        input_dir,
        out / "openepb.duckdb",
        quiet=args.quiet,
        workers=args.workers,
        sources=sources,
        gate=gate,
        cache=None if args.no_cache else default_cache(out),
    )
    print(format_summary(summary))
    _log(args.quiet, f"database: {summary.database} ({time.perf_counter() - started:.1f} s)")
    if not summary.offices:
        print(f"error: no office files in {input_dir}; nothing is published", file=sys.stderr)
        return EXIT_FAILED
    for verdict in summary.verdicts.values():
        for message in verdict.warnings:
            print(f"warning: {message}", file=sys.stderr)
    held = summary.held_back
    fresh = sorted(code for code in summary.offices if code not in held)
    if not fresh:
        print(
            "error: every office was held back (see the «held back:» lines); nothing new is published",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not (args.demo or args.input):
        record_newest_dates(out, summary.database)
    if state_dir is not None:
        snapshot_offices(summary.database, state_dir, fresh)
    code = publish(summary.database, args)
    if code != 0:
        return code
    # Baselines move only after everything was published: a failed build leaves them as they were.
    commit_state(out / "state")
    if state_dir is not None:
        commit_offices(state_dir)
        save_counts(state_dir, gate.counts_after(summary.verdicts))
    if held:
        print(
            f"warning: offices held back, their previous build's data are published: {', '.join(held)}",
            file=sys.stderr,
        )
        return EXIT_HELD_BACK
    return EXIT_PUBLISHED


def run_harvest(out: Path, sources: Sources, *, offline: bool, quiet: bool) -> Path | None:
    """Harvest into ``out`` (raw cache, fetch log, freshness) and return the mirror to build from;
    None when every office failed, so nothing new is published."""
    from openepb.harvest import harvest

    mirror = out / "mirror"
    report = harvest(sources, out, mirror, offline=offline, quiet=quiet)
    print(report.format())
    if report.all_failed:
        reason = "geo-block (HTTP 403 from every office)" if report.geo_blocked else "every office failed"
        print(f"error: harvest failed: {reason}; nothing new is published", file=sys.stderr)
        return None
    return mirror


def record_newest_dates(out: Path, db_path: Path) -> None:
    from openepb.harvest import add_newest_dates
    from openepb.store import connect

    con = connect(db_path)
    try:
        newest = con.execute("SELECT office_code, max(date_registered) FROM records GROUP BY 1").fetchall()
    finally:
        con.close()
    add_newest_dates(out, newest)


def publish(db_path: Path, args: argparse.Namespace) -> int:
    """Rankings, exports and the site, each from the database; any disagreement fails the build.

    Unless ``--no-cache``, a stage whose inputs (the database's contents, the code, templates and
    texts, the folders it reads) are those of its last run is skipped: its output stays as it was.
    """
    from openepb.cache import Stamp, database_fingerprint, publish_code_version, stage_key, tree_hash
    from openepb.export import describe_later_exports, export_all
    from openepb.feeds import write_feeds
    from openepb.quality import write_quality
    from openepb.rank import build_rankings, check_rankings
    from openepb.render import render_site, site_nav

    cached = not args.no_cache
    inputs = stage_key(database_fingerprint(db_path), publish_code_version()) if cached else ""

    def stamp(folder: Path, stage: str, *more: str) -> Stamp | None:
        if not cached:  # the stage rewrites its output: a stamp left by an earlier build no longer holds
            Stamp(folder, stage, "").clear()
            return None
        found = Stamp(folder, stage, stage_key(stage, inputs, *more))
        if found.fresh():
            _log(args.quiet, f"{stage}: inputs unchanged, skipped")
            return None
        found.clear()
        return found

    rank_dir = args.site / "data" / "rank"
    started = time.perf_counter()
    rank_stamp = stamp(rank_dir, "rankings")
    if rank_stamp is not None or not cached:
        report = build_rankings(db_path, rank_dir, quiet=args.quiet)
        disagreements = check_rankings(db_path, rank_dir)
        if disagreements:
            for line in disagreements[:20]:
                print(f"error: rankings disagree with the database: {line}", file=sys.stderr)
            return 1
        if rank_stamp is not None:
            rank_stamp.write()
        _log(
            args.quiet,
            f"rankings: {report.combinations} combinations checked ({time.perf_counter() - started:.1f} s)",
        )

    started = time.perf_counter()
    export_stamp = stamp(args.exports, "exports")
    if export_stamp is not None or not cached:
        exported = export_all(db_path, args.exports, quiet=True)
        for line in exported.misfits.lines():
            print(line, file=sys.stderr)
        if export_stamp is not None:
            export_stamp.write()
        _log(args.quiet, f"exports: {args.exports} ({time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    harvested = not (args.demo or args.input)
    write_quality(
        db_path,
        args.exports,
        args.site,
        freshness=args.out / "freshness.json" if harvested else None,
        reference_date=date.today() if harvested else None,
        nav=site_nav(),
    )
    feeds = write_feeds(
        db_path,
        args.out / "state" / "records.parquet",
        args.site,
        args.exports,
        args.out / "state",
        commit=False,
    )
    describe_later_exports(args.exports)
    _log(args.quiet, f"quality and {feeds.line()} ({time.perf_counter() - started:.1f} s)")

    # The site and the documentation copy and describe the exports: their bytes are inputs too.
    exports_hash = tree_hash(args.exports) if cached and args.exports.is_dir() else ""
    started = time.perf_counter()
    site_stamp = stamp(args.site, "site", exports_hash)
    if site_stamp is not None or not cached:
        render_site(db_path, rank_dir, args.site, exports_dir=args.exports, quiet=args.quiet)
        if site_stamp is not None:
            site_stamp.write()
        _log(args.quiet, f"site: {args.site} ({time.perf_counter() - started:.1f} s)")

    from openepb.docs_site import build_docs

    started = time.perf_counter()
    docs_stamp = stamp(args.site / "docs", "documentation", exports_hash)
    if docs_stamp is not None or not cached:
        build_docs(args.site, db_path=db_path, exports_dir=args.exports, quiet=args.quiet)
        if docs_stamp is not None:
            docs_stamp.write()
        _log(args.quiet, f"documentation: {args.site / 'docs'} ({time.perf_counter() - started:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "validate":
        from openepb.validate import main as validate_main

        return validate_main(argv[1:])
    args = _build_parser().parse_args(argv)
    return run_build(args)


if __name__ == "__main__":
    raise SystemExit(main())
