"""Load and validate the run configuration.

The same JSON schema (``workflow/schemas/config.schema.yaml``) is used by Snakemake at the
start of a run and by the package (CLI, notebooks), so a notebook run by hand in JupyterLab
sees exactly the defaults the pipeline sees.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import zlib
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import yaml

from relapse_models.core.lines import MonitoringLineError, lines_for_province
from relapse_models.core.quarters import parse_quarter

if TYPE_CHECKING:
    import jsonschema

PROJECT_ROOT = Path(__file__).resolve().parents[3]
"""Repository root when the package is installed in editable/src mode."""

SCHEMA_PATH = PROJECT_ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "config.yaml"


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key."""


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """A YAML file, parsed safely by libyaml when PyYAML has it: the pure-Python parser is
    most of the time of a 1,000-county run's start, which reads every profile."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


def read_yaml_key(path: str | os.PathLike[str], key: str) -> Any:
    """One top-level key of a YAML mapping (None if absent), as :func:`read_yaml` gives it:
    only that value is built into Python objects, which is most of the time of reading a
    file, and the check of 1,000 profiles' monitoring lines needs their province alone.
    Anything but a plain mapping (merge keys, another root) is read whole."""
    with open(path, encoding="utf-8") as fh:
        loader = _YAML_LOADER(fh)
        try:
            root = loader.get_single_node()
            if isinstance(root, yaml.MappingNode) and not any(
                k.tag == "tag:yaml.org,2002:merge" for k, _ in root.value
            ):
                # a repeated key keeps its last value, as the full construction does
                values = [v for k, v in root.value
                          if k.tag == "tag:yaml.org,2002:str" and k.value == key]
                return loader.construct_document(values[-1]) if values else None
        finally:
            loader.dispose()
    return (read_yaml(path) or {}).get(key)


def import_jsonschema() -> ModuleType:
    """``jsonschema`` without its IRI format checker.

    Importing jsonschema builds the ``rfc3987_syntax`` grammar (about 2 s), and every pipeline
    job validates its config, so every job paid it. No schema of the project uses
    ``format: iri``, so the grammar is not needed: marking the module absent makes jsonschema
    skip that one checker. Call this before anything imports jsonschema (nbformat does too).
    """
    _skip_iri_grammar()
    import jsonschema

    return jsonschema


def _skip_iri_grammar() -> None:
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


# every module of the package imports this one first, so a job that later imports jsonschema
# (profiles, nbformat) skips the grammar too
_skip_iri_grammar()


def load_schema(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read the config JSON schema (YAML syntax)."""
    path = Path(path) if path else SCHEMA_PATH
    if not path.exists():  # installed as a wheel: the schema ships as package data
        path = Path(str(resources.files("relapse_models") / "config.schema.yaml"))
    return read_yaml(path)


def _with_defaults(validator_class: type) -> type:
    """Extend a jsonschema validator so it fills in ``default`` values, as Snakemake does."""
    jsonschema = import_jsonschema()
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        for name, subschema in properties.items():
            if isinstance(instance, dict) and "default" in subschema:
                instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def validate_config(config: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``config`` and return a copy with defaults filled in.

    Raises :class:`ConfigError` naming the offending key path, e.g. ``simulate.scale``.
    """
    schema = schema or load_schema()
    config = copy.deepcopy(config)
    jsonschema = import_jsonschema()
    validator_class = _with_defaults(jsonschema.validators.validator_for(schema))
    errors = sorted(validator_class(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = [f"{_key_path(e)}: {e.message}" for e in errors]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    _check_cross_fields(config)
    return config


def _key_path(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        # the message names the unexpected key; keep the parent path in front of it
        return f"unknown key under '{path or '<top level>'}'"
    return path or "<top level>"


def _check_cross_fields(config: dict[str, Any]) -> None:
    """Rules a JSON schema cannot express; each would otherwise fail jobs deep in the run."""
    sim = config.get("simulate", {})
    if sim and parse_quarter(sim["start"]) > parse_quarter(sim["end"]):
        raise ConfigError(f"simulate.start ({sim['start']}) is after simulate.end ({sim['end']})")
    lines = config.get("monitoring", {}).get("line_by_province_year", {})
    for province, by_year in lines.items():
        for year in by_year:
            if not str(year).isdigit():
                raise ConfigError(
                    f"monitoring.line_by_province_year.{province}: year key {year!r} is not a year"
                )
    synthetic = config.get("data", {}).get("source", "synthetic") == "synthetic"
    if sim and synthetic:
        first, last = parse_quarter(sim["start"])[0], parse_quarter(sim["end"])[0]
        train = config.get("models", {}).get("train_until_year")
        if train is not None and not first <= train < last:
            raise ConfigError(
                f"models.train_until_year ({train}) must be a simulated year before the last "
                f"({first}-{last - 1}), so that a later year is left to test on"
            )
    monitoring = config.get("monitoring", {})
    default = monitoring.get("default_line")
    if default is not None and default not in lines:
        raise ConfigError(
            f"monitoring.default_line: {default!r} is not an entry of "
            f"monitoring.line_by_province_year (have {sorted(lines)})"
        )
    for province, years in (monitoring.get("line_published") or {}).items():
        have = {int(y) for y in (lines.get(province) or {})}
        absent = sorted({int(y) for y in years} - have)
        if absent:
            raise ConfigError(
                f"monitoring.line_published.{province}: year(s) {absent} have no line in "
                f"monitoring.line_by_province_year.{province}"
            )
    tiers = config.get("thresholds", {}).get("official_tier_min_triggers")
    if tiers and not tiers["red"] >= tiers["yellow"] >= tiers["blue"]:
        raise ConfigError(
            "thresholds.official_tier_min_triggers: red must need at least as many triggers as "
            f"yellow, and yellow as blue (got {tiers})"
        )
    data = config.get("data", {})
    if data.get("source") == "files":
        without = [c for c in config.get("counties", []) if not data.get("files", {}).get(c)]
        if without:
            raise ConfigError(
                f"data.files: data.source is files but data.files lists no export for {without}: "
                "add `data.files: {county_id: [path, ...]}` for every county in `counties`"
            )


def check_profiles(config: dict[str, Any], root: str | os.PathLike[str] = ".") -> None:
    """Every county in ``counties`` has its profile under ``profiles_dir`` (relative to the
    project folder ``root``): checked before the run instead of failing its first job."""
    folder = Path(root) / config["profiles_dir"]
    missing = [c for c in config["counties"] if not (folder / f"{c}.yaml").is_file()]
    if missing:
        raise ConfigError(
            f"counties: no profile for {missing} in profiles_dir '{config['profiles_dir']}' "
            f"(write {config['profiles_dir']}/<county_id>.yaml; see README, Add a county)"
        )


def check_lines(config: dict[str, Any], root: str | os.PathLike[str] = ".") -> None:
    """Every county's province has a monitoring line (or the config opts into
    ``monitoring.default_line``), covering every simulated year: checked before the run, so a
    county is refused naming it and its province instead of borrowing another's standard."""
    folder = Path(root) / config["profiles_dir"]
    sim = config.get("simulate", {})
    synthetic = config.get("data", {}).get("source", "synthetic") == "synthetic"
    years = set(range(parse_quarter(sim["start"])[0], parse_quarter(sim["end"])[0] + 1)) if sim else set()
    problems = []
    for county in config["counties"]:
        province = read_yaml_key(folder / f"{county}.yaml", "province_en")
        try:
            lines = lines_for_province(config["monitoring"], province, county)
        except MonitoringLineError as err:
            problems.append(str(err))
            continue
        missing = sorted(years - set(lines)) if synthetic else []
        if missing:
            problems.append(
                f"county {county!r} (province {province!r}): no monitoring line for simulated "
                f"year(s) {missing} (simulate.start {sim['start']} to simulate.end {sim['end']})"
            )
    if problems:
        raise ConfigError("monitoring line:\n  " + "\n  ".join(problems))


def _normalise(config: dict[str, Any]) -> dict[str, Any]:
    """Year keys of the monitoring lines as integers: YAML gives ints, JSON (how Snakemake
    hands sections to a job) gives strings, and a merge must not keep both."""
    lines = config.get("monitoring", {}).get("line_by_province_year")
    if isinstance(lines, dict):
        config = copy.deepcopy(config)
        config["monitoring"]["line_by_province_year"] = {
            province: {int(y) if str(y).isdigit() else y: v for y, v in (by_year or {}).items()}
            for province, by_year in lines.items()
        }
    return config


def whatif_county(config: dict[str, Any]) -> str:
    """The county the what-if simulates: ``whatif.county``, else the first of ``counties``
    (here, not in the what-if's module, so the Snakefile reads it without numpy)."""
    return config["whatif"].get("county") or config["counties"][0]


def load_config(
    path: str | os.PathLike[str] | None = None, overrides: dict[str, Any] | None = None
) -> RunConfig:
    """Load a YAML config, apply ``overrides`` (merged recursively), validate, fill defaults:
    the whole resolved run, as Snakemake resolves it at the start of a run."""
    path = Path(path) if path else DEFAULT_CONFIG_PATH
    config = _normalise(read_yaml(path) or {})
    if overrides:
        config = merge(config, _normalise(overrides))
    return RunConfig(validate_config(config))


def default_config() -> RunConfig:
    """Every section at the schema's defaults (for library calls without a run)."""
    return RunConfig(validate_config({}))


class RunConfig(dict):
    """The resolved sections a job was given. Reading a section it was not given is an
    error naming the section, never a silent default or a read of ``config/config.yaml``:
    the rule's params must list every section the job reads (and a change to any of them
    reruns it)."""

    def __missing__(self, key: str) -> Any:
        raise ConfigError(
            f"this job was not given the config section '{key}' (it has {sorted(self)}): "
            "add it to the sections its rule passes (workflow/rules/common.smk)"
        )


def from_json(text: str | None) -> RunConfig:
    """The config a pipeline job sees: exactly the resolved sections Snakemake passes to it
    as JSON (checked against the schema, which fills in keys missing inside a given
    section). Empty text, as in a notebook opened by hand, gives the project's
    ``config/config.yaml`` resolved as a run would resolve it."""
    if not text:
        project = Path("config/config.yaml")
        return load_config(project if project.is_file() else None)
    try:
        sections = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"config JSON is not valid: {err}") from err
    if not isinstance(sections, dict):
        raise ConfigError(f"config JSON must be an object of sections, not {type(sections).__name__}")
    schema = load_schema()
    # the given sections only: no section is added from its default
    schema = {**schema, "properties": {
        key: {k: v for k, v in sub.items() if k != "default"}
        for key, sub in schema["properties"].items()
    }}
    return RunConfig(validate_config(_normalise(sections), schema))


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge (``update`` wins), the way Snakemake layers config files."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def config_hash(config: dict[str, Any]) -> str:
    """Short stable hash of the config (key order and YAML formatting do not matter)."""
    canonical = json.dumps(_str_keys(config), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _str_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _str_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_str_keys(v) for v in value]
    return value


def stage_seed(seed: int, stage: str, county: str | None = None) -> int:
    """The one way a job gets its seed: from the run's ``seed``, the stage and the county
    (None: a job over all counties). Stable across runs and independent of which other
    counties run, so adding a county never changes another county's numbers; below 2**31
    so every library takes it."""
    key = f"{stage}/{county or ''}".encode()
    return (int(seed) * 1_000_003 + zlib.crc32(key)) % (2**31)
