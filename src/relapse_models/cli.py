"""Command line entry point ``relapse-models``: the commands Snakemake rules call, usable by
hand too. A user's mistake (bad config, missing file) ends with one clear message and exit
code 2, never a bare traceback.

Each command imports its stage when it runs: every Snakemake job is a new process, and a
notebook job should not pay for the generator's scipy and openpyxl or the cleaning step's
pandera (importing them all at the top makes each job's start several times slower)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from relapse_models import __version__
from relapse_models.core import paths

log = logging.getLogger("relapse_models")


class UserError(Exception):
    """An error in the user's input: printed as one line, exit code 2."""


def _config_from_json(text: str | None) -> dict[str, Any]:
    from relapse_models.core.config import from_json

    return from_json(text)


def _profile(path: str) -> dict[str, Any]:
    from relapse_models.core.profiles import load_profile

    return load_profile(path)


def cmd_simulate(args: argparse.Namespace) -> None:
    from relapse_models.core.config import stage_seed
    from relapse_models.core.io import write_parquet
    from relapse_models.data.simulate import simulate_county, write_messy_exports

    config = _config_from_json(args.config_json)
    profile = _profile(args.profile)
    seed = stage_seed(config["seed"], "simulate", args.county)
    started = time.perf_counter()
    log.info("simulating %s (scale %s, seed %s)", args.county, config["simulate"]["scale"], seed)
    sim = simulate_county(profile, config, seed)
    if args.calibration_out:
        _guard(profile, config, sim, args.calibration_out)
    raw, truth = Path(args.raw_dir), Path(args.truth_dir)
    for name in ("households", "panel", "events"):
        write_parquet(getattr(sim, name), raw / f"{name}.parquet")
    write_parquet(sim.truth, truth / "truth.parquet")
    if args.messy_dir:
        manifest = write_messy_exports(
            sim, profile, Path(args.messy_dir), seed=seed, defect_rate=args.defect_rate
        )
        log.info("messy exports and manifest: %s", manifest)
    log.info(
        "%s: %d households, %d household-quarters, %d events in %.1fs",
        args.county, len(sim.households), len(sim.panel), len(sim.events),
        time.perf_counter() - started,
    )


def _guard(profile: dict[str, Any], config: dict[str, Any], sim: Any, out: str) -> None:
    """Calibration record and plausibility guards of a simulated county: the record is
    written, then a failed guard the config does not accept stops the job."""
    from relapse_models.core.io import write_json
    from relapse_models.core.profiles import sources_dir
    from relapse_models.outcome.guards import GuardError, calibration_record, enforce

    record = calibration_record(profile, config, sim.households, sim.panel, sim.events,
                                sim.calibration.notes, sim.calibration.expected, sources_dir())
    for note in record["notes"]:
        log.warning("%s: calibration: %s", profile["county_id"], note)
    try:
        enforce(pd.DataFrame(record["guards"]))
    except GuardError as err:
        raise UserError(str(err)) from err
    write_json(record, out)


def cmd_features(args: argparse.Namespace) -> None:
    """Features in blocks of whole villages (bounded memory, same table as one block)."""
    from relapse_models.core.lines import official_lines
    from relapse_models.stages.features import DEFAULT_BLOCK_ROWS, county_features

    config = _config_from_json(args.config_json)
    profile = _profile(args.profile)
    lines = official_lines(config, profile["province_en"], args.county)
    rows = county_features(args.interim_dir, args.out, lines, config,
                           max_rows=args.block_rows or DEFAULT_BLOCK_ROWS)
    log.info("%s: %d feature rows -> %s", args.county, rows, args.out)


def cmd_robustness(args: argparse.Namespace) -> None:
    from relapse_models.stages import robustness

    robustness.run(args.profiles, _config_from_json(args.config_json), args.models,
                   args.metrics_out, args.comparisons_out, args.findings_out)


def cmd_held_out(args: argparse.Namespace) -> None:
    from relapse_models.stages import fit

    features, truth = (fit.read_pooled_inputs(args.inputs) if args.inputs
                       else (args.features, args.truth))
    fit.run_held_out(features, truth or None, _config_from_json(args.config_json),
                     args.county, args.predictions_out, args.tuning_out)


def cmd_pooled_inputs(args: argparse.Namespace) -> None:
    from relapse_models.stages import fit

    fit.write_pooled_inputs(args.features, args.truth, args.out)


def cmd_drift(args: argparse.Namespace) -> None:
    from relapse_models.stages import drift

    drift.run(args.features, args.truth or None, _config_from_json(args.config_json), args.out_dir)


def cmd_whatif(args: argparse.Namespace) -> None:
    from relapse_models.stages import whatif

    whatif.run(args.profiles, _config_from_json(args.config_json), args.results_out,
               args.summary_out)


def cmd_reconcile(args: argparse.Namespace) -> None:
    from relapse_models.core.io import read_parquet, write_csv
    from relapse_models.data.reconcile import reconcile

    config = _config_from_json(args.config_json)
    profile = _profile(args.profile)
    interim = Path(args.interim_dir)
    tables = {n: read_parquet(interim / f"{n}.parquet") for n in ("households", "panel", "events")}
    table = reconcile(profile, tables["households"], tables["panel"], tables["events"], config)
    if args.calibration:
        from relapse_models.core.io import read_json
        from relapse_models.outcome.guards import reconciliation_rows

        table = pd.concat([table, reconciliation_rows(read_json(args.calibration))],
                          ignore_index=True)
    write_csv(table, args.out)
    log.info("%s: %d reconciled indicators -> %s", args.county, len(table), args.out)


def cmd_combine(args: argparse.Namespace) -> None:
    """Concatenate per-county CSVs and merge per-county JSON files into one of each."""
    from relapse_models.core.io import write_csv, write_json

    if args.csv_out:
        frames = [pd.read_csv(p, encoding="utf-8-sig") for p in args.csv]
        write_csv(pd.concat(frames, ignore_index=True), args.csv_out)
    if args.json_out:
        merged = {}
        for path in args.json:
            merged.update(json.loads(Path(path).read_text(encoding="utf-8")))
        write_json(merged, args.json_out)


def cmd_notebook(args: argparse.Namespace) -> None:
    from relapse_models.stages.notebook import run_notebook

    params = {key: yaml.safe_load(value) for key, value in args.param}
    # keep strings that YAML would turn into other types when the notebook expects text
    for key, value in args.param:
        if key in ("county", "config_json") or key.endswith(("_path", "_dir")):
            params[key] = value
    run_notebook(args.name, args.output, params, html=args.html, timeout=args.timeout)


def _ingest(args: argparse.Namespace, key: bytes):
    """Ingest the files named on the command line; a user's mistake becomes a UserError."""
    from relapse_models.data.ingest import IngestError, ingest_files

    try:
        return ingest_files(args.files, args.county, key, columns=args.columns,
                            age_reference_year=args.age_reference_year)
    except IngestError as err:
        raise UserError(str(err)) from err


def _key(args: argparse.Namespace, required: bool) -> bytes:
    from relapse_models.data.ingest import PseudonymKeyError, load_key

    try:
        return load_key(args.key_file, synthetic=args.synthetic)
    except PseudonymKeyError as err:
        if required:
            raise UserError(str(err)) from err
        # nothing is written: a throw-away key serves to link the files
        return os.urandom(32)


def _print_summary(result) -> None:
    from relapse_models.stages.clean import files_table

    print(files_table(result.report).to_string(index=False))
    report = result.report
    if "frequency" in report:
        print(f"\nfrequency: {report['frequency']}; domains absent (features left out): "
              f"{', '.join(report.get('domains_absent', [])) or 'none'}")
        missing = report.get("missing_values") or {}
        if missing:
            print("missing values (kept as missing): "
                  + ", ".join(f"{k} {v}" for k, v in missing.items()))
        if report.get("unmatched_headers"):
            print(f"headers not read: {', '.join(report['unmatched_headers'])}")
    rules = pd.DataFrame(result.report["rules"], columns=["table", "rule", "n"])
    if len(rules):
        print("\nquarantined lines by rule:")
        print(rules.to_string(index=False))


def cmd_validate(args: argparse.Namespace) -> None:
    """Report only: exit 1 when any row would be quarantined."""
    result = _ingest(args, _key(args, required=False))
    _print_summary(result)
    if len(result.quarantine):
        shown = result.quarantine.drop(columns=["source", "value"]).head(args.show)
        print(f"\nfirst {len(shown)} of {len(result.quarantine)} quarantine lines:")
        print(shown.to_string(index=False))
        raise SystemExit(1)


def cmd_clean(args: argparse.Namespace) -> None:
    """Ingest and clean exports into canonical tables, quarantine and report under --out."""
    from relapse_models.stages.clean import write_outputs

    result = _ingest(args, _key(args, required=True))
    write_outputs(result, args.county, args.out)
    _print_summary(result)
    log.info("%s: clean tables, quarantine and report -> %s", args.county, args.out)


def cmd_columns(args: argparse.Namespace) -> None:
    """How each header of each file would be read: maps to, unmatched (with a suggestion),
    required columns missing, domains present and absent; ``--write`` a mapping with the
    suggestions added."""
    from relapse_models.data.ingest.inspect import describe_columns, suggested_mapping
    from relapse_models.data.ingest.read import ReadError

    sheets = []
    for path in args.files:
        try:
            sheets.extend(describe_columns(path, args.columns))
        except ReadError as err:
            raise UserError(str(err)) from err
    for s in sheets:
        where = s.file + (f" [{s.sheet}]" if s.sheet else "")
        if not s.header_rows:
            print(f"{where}: no header row with at least 3 known column names\n")
            continue
        print(f"{where}: header on row(s) {', '.join(map(str, s.header_rows))}; "
              f"frequency: {s.frequency or 'no period column'}")
        print(s.table.to_string(index=False))
        unmatched = s.table.loc[s.table["maps_to"] == "", "header"].tolist()
        print(f"unmatched ({len(unmatched)}): {', '.join(unmatched) or 'none'}")
        print(f"required missing: {', '.join(s.missing_required) or 'none'}")
        print(f"domains present: {', '.join(s.domains_present) or 'none'}; "
              f"absent: {', '.join(s.domains_absent) or 'none'}\n")
    if args.write:
        from relapse_models.core.io import atomic_path

        with atomic_path(args.write) as tmp:
            Path(tmp).write_text(suggested_mapping(sheets, args.columns), encoding="utf-8")
        print(f"mapping with the suggestions -> {args.write} (check it; then clean with "
              f"--columns {args.write})")


def _ingest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="exports: xlsx, xls or csv")
    p.add_argument("--county", default="county", help="county id written into the tables")
    p.add_argument("--columns", help="header mapping (default: config/columns.yaml)")
    p.add_argument("--key-file", help="pseudonymisation key file (default: "
                   "$RELAPSE_PSEUDONYM_KEY or $RELAPSE_PSEUDONYM_KEY_FILE)")
    p.add_argument("--synthetic", action="store_true",
                   help="synthetic data: allow the published demo key")
    p.add_argument("--age-reference-year", type=int,
                   help="count head age in this year (default: first year of the panel)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relapse-models", description=__doc__)
    parser.add_argument("--version", action="version", version=f"relapse-models {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="write a county's synthetic monitoring panel")
    p.add_argument("--county", required=True)
    p.add_argument("--profile", required=True, help="config/counties/<county>.yaml")
    p.add_argument("--config-json", help="config as JSON (default: config/config.yaml)")
    p.add_argument("--raw-dir", required=True, help="observable tables go here")
    p.add_argument("--truth-dir", required=True, help="ground truth goes here, apart")
    p.add_argument("--calibration-out",
                   help="calibration record and guard results (JSON); a failed guard stops")
    p.add_argument("--messy-dir", help="also write monitoring-system exports here")
    p.add_argument("--defect-rate", type=float, default=0.01)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("features", help="build household-quarter features and labels")
    p.add_argument("--county", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--interim-dir", required=True)
    p.add_argument("--config-json")
    p.add_argument("--out", required=True)
    p.add_argument("--block-rows", type=int,
                   help="panel rows per block of whole villages (bounds memory; default 1,000,000)")
    p.set_defaults(func=cmd_features)

    p = sub.add_parser("robustness", help="every model and baseline under every truth mechanism")
    p.add_argument("--profiles", nargs="+", required=True)
    p.add_argument("--config-json")
    p.add_argument("--models", required=True, help="the pooled fit's models.json")
    p.add_argument("--metrics-out", required=True)
    p.add_argument("--comparisons-out", required=True)
    p.add_argument("--findings-out", required=True)
    p.set_defaults(func=cmd_robustness)

    p = sub.add_parser("held-out", help="one county left out: models fitted on the others")
    p.add_argument("--county", required=True, help="the county left out")
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("--inputs", help="every county's files, as written by pooled-inputs")
    given.add_argument("--features", nargs="+", help="every county's features")
    p.add_argument("--truth", nargs="*", default=[], help="ground truth (synthetic runs)")
    p.add_argument("--config-json")
    p.add_argument("--predictions-out", required=True)
    p.add_argument("--tuning-out", required=True)
    p.set_defaults(func=cmd_held_out)

    p = sub.add_parser("pooled-inputs", help="every county's features and truth files, as one file")
    p.add_argument("--features", nargs="+", required=True, help="every county's features")
    p.add_argument("--truth", nargs="*", default=[], help="ground truth (synthetic runs)")
    p.add_argument("--out", required=True, help="the JSON file to write")
    p.set_defaults(func=cmd_pooled_inputs)

    p = sub.add_parser("drift", help="models across later years: drift, PSI, recalibration")
    p.add_argument("--features", nargs="+", required=True, help="every county's features")
    p.add_argument("--truth", nargs="*", default=[], help="ground truth (synthetic runs)")
    p.add_argument("--config-json")
    p.add_argument("--out-dir", required=True, help=f"for example {paths.DRIFT_DIR}")
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("whatif", help="policy what-if: scenarios against the baseline over seeds")
    p.add_argument("--profiles", nargs="+", required=True)
    p.add_argument("--config-json")
    p.add_argument("--results-out", required=True)
    p.add_argument("--summary-out", required=True)
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("reconcile", help="compare computed figures with published ones")
    p.add_argument("--county", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--interim-dir", required=True)
    p.add_argument("--config-json")
    p.add_argument("--calibration", help="calibration record of a simulated county (JSON): "
                   "its guard results and warnings are added")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("combine", help="concatenate per-county CSV / merge JSON outputs")
    p.add_argument("--csv", nargs="*", default=[])
    p.add_argument("--csv-out")
    p.add_argument("--json", nargs="*", default=[])
    p.add_argument("--json-out")
    p.set_defaults(func=cmd_combine)

    p = sub.add_parser("notebook", help="execute a project notebook with papermill")
    p.add_argument("name", help="e.g. 01_clean")
    p.add_argument("output", help="executed .ipynb")
    p.add_argument("--html", help="also render a report page (no input cells)")
    p.add_argument(
        "-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE")
    )
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.set_defaults(func=cmd_notebook)

    p = sub.add_parser("validate", help="check exports; report only (exit 1 if any row fails)")
    _ingest_arguments(p)
    p.add_argument("--show", type=int, default=20, help="quarantine lines to print")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("columns", help="show how each header of an export is read")
    p.add_argument("files", nargs="+", help="exports: xlsx, xls or csv")
    p.add_argument("--columns", help="header mapping (default: config/columns.yaml)")
    p.add_argument("--write", help="write the mapping with the suggested headers added here")
    p.set_defaults(func=cmd_columns)

    p = sub.add_parser("clean", help="ingest and clean exports into canonical tables")
    _ingest_arguments(p)
    p.add_argument("--out", required=True, help="folder for the tables, quarantine and report")
    p.set_defaults(func=cmd_clean)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    from relapse_models.core.config import ConfigError

    try:
        args.func(args)
    except (UserError, ConfigError, FileNotFoundError) as err:
        print(f"relapse-models {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
