"""County profiles: load ``config/counties/<county_id>.yaml`` and validate it.

A profile is the only place a county exists: the generator, reconciliation and reports read
everything county-specific from it, so adding a county is writing one more file. Validation
runs the JSON schema ``workflow/schemas/county.schema.yaml`` and a few checks a schema cannot
express (file stem equals ``county_id``, a fallback for every unpublished figure the generator
needs). Errors name the file and the key path, because a researcher editing YAML needs to know
where, not a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from relapse_models.core.schema import DISASTER_TYPE_LABELS

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "county.schema.yaml"

FALLBACKS: dict[str, str] = {
    "monitoring_households_cumulative": "monitoring_cumulative_share",
    "income_per_capita": "income_per_capita",
    "income_growth": "income_growth",
    "elimination_rate": "elimination_rate",
    "medical_reimbursement_rate": "medical_reimbursement_rate",
    "dibao_households": "dibao_household_share",
    "public_welfare_jobs": "public_welfare_job_share",
    "workers": "worker_rate",
    "houses_renovated": "houses_renovated_share",
}
"""Published figure -> generator key used when the seed does not publish the figure."""


class ProfileError(ValueError):
    """A county profile is missing, unreadable or invalid; the message names file and key."""


@cache
def _schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _where(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return path or "(top level)"


def validate_profile(profile: Mapping[str, Any], name: str = "<profile>") -> None:
    """Raise :class:`ProfileError` listing every problem of ``profile`` (``name`` for messages)."""
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [
        f"{name}: {_where(e)}: {e.message}"
        for e in sorted(validator.iter_errors(profile), key=lambda e: list(e.absolute_path))
    ]
    if not problems:
        pub, gen = profile["published"], profile["generator"]
        for figure, key in FALLBACKS.items():
            if pub[figure]["value"] is None and (key not in gen or gen[key]["value"] is None):
                problems.append(
                    f"{name}: generator.{key}: required because published.{figure} is null"
                )
        if (
            profile["structure"]["poverty_alleviated_households"]["value"] is None
            and gen["poverty_alleviated_share"]["value"] is None
        ):
            problems.append(
                f"{name}: generator.poverty_alleviated_share: required because "
                "structure.poverty_alleviated_households is null"
            )
        mix = gen["disaster_types"]["value"]
        if not isinstance(mix, dict) or not mix:
            problems.append(f"{name}: generator.disaster_types.value: a mapping type -> share")
        else:
            unknown = sorted(set(mix) - set(DISASTER_TYPE_LABELS))
            if unknown:
                problems.append(
                    f"{name}: generator.disaster_types.value: unknown type(s) {unknown}; the "
                    f"emergency-management types are {list(DISASTER_TYPE_LABELS)} "
                    f"({'、'.join(DISASTER_TYPE_LABELS.values())})"
                )
            if any(not isinstance(v, int | float) or v < 0 for v in mix.values()) or not sum(
                v for v in mix.values() if isinstance(v, int | float)
            ) > 0:
                problems.append(
                    f"{name}: generator.disaster_types.value: shares must be >= 0, not all zero"
                )
        if profile["structure"]["households"]["value"] is None:
            problems.append(f"{name}: structure.households.value: the generator needs a size")
    if problems:
        raise ProfileError("invalid county profile\n  " + "\n  ".join(problems))


def load_profile(path: str | Path) -> dict[str, Any]:
    """Read and validate one profile; the file stem must equal its ``county_id``."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            profile = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ProfileError(f"{path}: county profile not found") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(profile, dict):
        raise ProfileError(f"{path}: a profile is a mapping of keys, got {type(profile).__name__}")
    validate_profile(profile, str(path))
    if profile["county_id"] != path.stem:
        raise ProfileError(
            f"{path}: county_id: {profile['county_id']!r} differs from the file name {path.stem!r}"
        )
    return profile


def load_profiles(directory: str | Path, county_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Profiles of ``county_ids`` from ``directory/<county_id>.yaml``, in the given order."""
    directory = Path(directory)
    return {cid: load_profile(directory / f"{cid}.yaml") for cid in county_ids}


def figure(profile: Mapping[str, Any], name: str) -> float | None:
    """Published value of a standard figure, else its generator fallback, else ``None``."""
    value = profile["published"].get(name, {}).get("value")
    if value is None and name in FALLBACKS:
        value = profile["generator"].get(FALLBACKS[name], {}).get("value")
    return value


def param(profile: Mapping[str, Any], key: str) -> Any:
    """Value of a generator parameter (``None`` when absent)."""
    return profile["generator"].get(key, {}).get("value")


SOURCES_ENV = "RELAPSE_SOURCES_DIR"
"""Environment variable naming the folder that holds the profiles' source texts. The texts are
not part of the repository (they are the publishers'); where they are at hand, every quoted
sentence is checked against them."""

SECTIONS = ("structure", "published", "generator")


def sources_dir() -> Path | None:
    """The folder of source texts named by :data:`SOURCES_ENV`, or ``None`` when unset."""
    folder = os.environ.get(SOURCES_ENV)
    return Path(folder) if folder else None


def check_sources(profile: Mapping[str, Any], folder: str | Path | None) -> dict[str, Any]:
    """Check that every ``sentence`` of ``profile`` is quoted verbatim from its source text.

    Returns ``{"status", "file", "sentences"}`` with status ``verified`` (the text is in
    ``folder`` and holds every sentence), ``not_at_hand`` (no folder, or the file is not in
    it: nothing could be checked) or ``no_text`` (the profile says there is no source text,
    ``source.no_text``). A sentence the text does not contain raises :class:`ProfileError`
    naming the key: a misquoted figure is a wrong figure.
    """
    source = profile["source"]
    sentences = {
        f"{section}.{key}": q["sentence"]
        for section in SECTIONS
        for key, q in profile[section].items()
        if isinstance(q, Mapping) and "sentence" in q
    }
    out = {"file": source.get("file"), "sentences": len(sentences)}
    if source.get("file") is None:
        return {**out, "status": "no_text", "reason": source.get("no_text", "")}
    path = Path(folder) / source["file"] if folder is not None else None
    if path is None or not path.is_file():
        return {**out, "status": "not_at_hand"}
    text = path.read_text(encoding="utf-8")
    wrong = [key for key, sentence in sentences.items() if sentence not in text]
    if wrong:
        raise ProfileError(
            f"{profile['county_id']}: sentence not found verbatim in {path}: " + ", ".join(wrong)
        )
    return {**out, "status": "verified"}
