"""Command line: ``python build.py [--demo | --input DIR]`` and ``python build.py validate FILE…``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from openepb.build.cache import DISABLE_ENV
from openepb.build.expectations import Gate, commit_offices, save_counts, snapshot_offices
from openepb.context import BuildContext, Options, Paths, argument_parser
from openepb.contract.sources import ROOT, SOURCES_DIR
from openepb.publish.feeds import commit_state

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
    parser = argument_parser(
        prog="build.py",
        description="Собрать реестр заключений ЭПБ: прочитать файлы управлений, нормализовать, сохранить.",
        epilog=EXIT_CODES_HELP,
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
        help="читать каждый файл заново, не используя кэш прочитанных файлов в <out>/cache, и "
        "пересобрать все этапы публикации (то же — переменная окружения OPENEPB_NO_CACHE)",
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


def context_from_args(args: argparse.Namespace) -> BuildContext:
    paths = Paths(out=args.out, site=args.site, exports=args.exports, sources=args.sources)
    options = Options(
        demo=args.demo,
        input=args.input,
        offline=args.offline,
        demo_scale=args.demo_scale,
        seed=args.seed,
        workers=args.workers,
        quiet=args.quiet,
        accept_shrink=args.accept_shrink,
        no_cache=args.no_cache or bool(os.environ.get(DISABLE_ENV)),
    )
    return BuildContext.create(paths, options)


def run_build(ctx: BuildContext) -> int:
    from openepb.build.cache import default_cache
    from openepb.build.pipeline import build_database, format_summary

    options, paths, log = ctx.options, ctx.paths, ctx.log
    if options.demo:
        from openepb.demo.generator import generate

        started = time.perf_counter()
        log.info(f"demo: generating corpus (scale {options.demo_scale}, seed {options.seed}) …")
        try:
            corpus = generate(paths.out / "demo", scale=options.demo_scale, seed=options.seed)
        except ModuleNotFoundError as err:  # the demo's writers are an optional extra
            log.error(f"the demo corpus needs {err.name}: pip install 'openepb[demo]'")
            return 2
        log.info(f"demo: corpus ready in {time.perf_counter() - started:.1f} s")
        input_dir = corpus.corpus_dir
    elif options.input:
        input_dir = options.input
        if not input_dir.is_dir():
            log.error(f"--input {input_dir}: no such folder")
            return EXIT_USAGE
    else:
        input_dir = run_harvest(ctx)
        if input_dir is None:
            return EXIT_FAILED
    state_dir = ctx.state_dir
    gate = Gate(ctx.sources, state_dir, accept_all=options.accept_shrink)
    started = time.perf_counter()
    summary = build_database(
        input_dir,
        paths.database,
        quiet=options.quiet,
        workers=options.workers,
        sources=ctx.sources,
        gate=gate,
        cache=None if options.no_cache else default_cache(paths.out),
    )
    print(format_summary(summary))
    log.info(f"database: {summary.database} ({time.perf_counter() - started:.1f} s)")
    if not summary.offices:
        log.error(f"no office files in {input_dir}; nothing is published")
        return EXIT_FAILED
    for verdict in summary.verdicts.values():
        for message in verdict.warnings:
            log.warning(message)
    held = summary.held_back
    fresh = sorted(code for code in summary.offices if code not in held)
    if not fresh:
        log.error("every office was held back (see the «held back:» lines); nothing new is published")
        return EXIT_FAILED
    if state_dir is not None:
        snapshot_offices(summary.database, state_dir, fresh)
    code = publish(ctx)
    if code != 0:
        return code
    # Baselines move only after everything was published: a failed build leaves them as they were.
    commit_state(paths.state)
    if state_dir is not None:
        commit_offices(state_dir)
        save_counts(state_dir, gate.counts_after(summary.verdicts))
    if held:
        log.warning(f"offices held back, their previous build's data are published: {', '.join(held)}")
        return EXIT_HELD_BACK
    return EXIT_PUBLISHED


def run_harvest(ctx: BuildContext) -> Path | None:
    """Harvest into ``out`` (raw cache, fetch log, freshness) and return the mirror to build from;
    None when every office failed, so nothing new is published."""
    from openepb.harvest.run import harvest

    paths = ctx.paths
    report = harvest(
        ctx.sources, paths.out, paths.mirror, offline=ctx.options.offline, quiet=ctx.options.quiet
    )
    print(report.format())
    if report.all_failed:
        reason = "geo-block (HTTP 403 from every office)" if report.geo_blocked else "every office failed"
        ctx.log.error(f"harvest failed: {reason}; nothing new is published")
        return None
    return paths.mirror


def publish(ctx: BuildContext) -> int:
    """Rankings, exports and the site, each from the database; any disagreement fails the build.

    Unless ``--no-cache``, a stage whose inputs (the database's contents, the code, templates and
    texts, the folders it reads) are those of its last run is skipped: its output stays as it was.
    """
    from openepb.build.cache import Stamp, database_fingerprint, publish_code_version, stage_key, tree_hash
    from openepb.publish.docs import build_docs, data_dictionary_page
    from openepb.publish.export import describe_later_exports, export_all
    from openepb.publish.feeds import write_feeds
    from openepb.publish.quality import write_quality
    from openepb.publish.rank import build_rankings, check_rankings
    from openepb.publish.site import VIEWS_MEMO, render_site, site_nav

    paths, quiet, log = ctx.paths, ctx.options.quiet, ctx.log
    db_path = paths.database
    cached = not ctx.options.no_cache
    inputs = stage_key(database_fingerprint(db_path), publish_code_version()) if cached else ""

    def stale(folder: Path, stage: str, *more: str, base: str | None = None) -> Stamp | None:
        """The stamp to write once ``stage`` has run, or None when its output is still current.

        ``base`` replaces the database's fingerprint and the code version for a stage that reads
        less than the whole database (its key then names exactly what it reads)."""
        if not cached:  # the stage rewrites its output: a stamp left by an earlier build no longer holds
            Stamp(folder, stage, "").clear()
            return Stamp(folder, stage, "")
        found = Stamp(folder, stage, stage_key(stage, inputs if base is None else base, *more))
        if found.fresh():
            log.info(f"{stage}: inputs unchanged, skipped")
            return None
        found.clear()
        return found

    def done(stamp: Stamp) -> None:
        if cached:
            stamp.write()

    # Memos of parts of a stage name files of the last cached build: a build that rewrites the
    # outputs without them leaves none behind.
    rank_memo = paths.out / "cache" / "rank-slices.json"
    if not cached:
        rank_memo.unlink(missing_ok=True)
        (paths.out / "cache" / VIEWS_MEMO).unlink(missing_ok=True)
    started = time.perf_counter()
    if (stamp := stale(paths.rank, "rankings")) is not None:
        report = build_rankings(
            db_path, paths.rank, quiet=quiet, gzip_sizes=not quiet, memo=rank_memo if cached else None
        )
        disagreements = check_rankings(db_path, paths.rank)
        if disagreements:
            for line in disagreements[:20]:
                log.error(f"rankings disagree with the database: {line}")
            return 1
        done(stamp)
        log.info(
            f"rankings: {report.combinations} combinations checked ({time.perf_counter() - started:.1f} s)"
        )

    started = time.perf_counter()
    if (stamp := stale(paths.exports, "exports")) is not None:
        exported = export_all(
            db_path,
            paths.exports,
            quiet=True,
            checksums=False,
            memo=paths.out / "cache" / "xml-slices.json" if cached else None,
        )
        for line in exported.misfits.lines():
            print(line, file=sys.stderr)
        done(stamp)
        log.info(f"exports: {paths.exports} ({time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    harvested = ctx.options.harvested
    write_quality(
        db_path,
        paths.exports,
        paths.site,
        freshness=paths.freshness if harvested else None,
        reference_date=date.today() if harvested else None,
        nav=site_nav(),
    )
    feeds = write_feeds(
        db_path, paths.state / "records.parquet", paths.site, paths.exports, paths.state, commit=False
    )
    describe_later_exports(paths.exports)
    log.info(f"quality and {feeds.line()} ({time.perf_counter() - started:.1f} s)")

    # The site and the documentation copy and describe the exports: their bytes are inputs too.
    exports_hash = tree_hash(paths.exports) if cached and paths.exports.is_dir() else ""
    started = time.perf_counter()
    if (stamp := stale(paths.site, "site", exports_hash)) is not None:
        memo = paths.out / "cache" if cached else None
        render_site(db_path, paths.rank, paths.site, exports_dir=paths.exports, quiet=quiet, memo_dir=memo)
        done(stamp)
        log.info(f"site: {paths.site} ({time.perf_counter() - started:.1f} s)")

    # The documentation reads the data only through its data dictionary (the export tables and their
    # columns, the other export files by name): that page's text is its one data input.
    started = time.perf_counter()
    dictionary = data_dictionary_page(paths.exports, db_path) if cached else ""
    docs_key = stage_key(publish_code_version(), dictionary) if cached else ""
    if (stamp := stale(paths.site / "docs", "documentation", base=docs_key)) is not None:
        build_docs(paths.site, db_path=db_path, exports_dir=paths.exports, quiet=quiet)
        done(stamp)
        log.info(f"documentation: {paths.site / 'docs'} ({time.perf_counter() - started:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "validate":
        from openepb.validate.check import main as validate_main

        return validate_main(argv[1:])
    args = _build_parser().parse_args(argv)
    return run_build(context_from_args(args))


if __name__ == "__main__":
    raise SystemExit(main())
