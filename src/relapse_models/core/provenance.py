"""Provenance for every report: which code, config and data produced these numbers."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from relapse_models.core.config import PROJECT_ROOT, config_hash

KEY_PACKAGES = (
    "relapse-models",
    "pandas",
    "numpy",
    "statsmodels",
    "scikit-learn",
    "pyarrow",
    "duckdb",
    "pandera",
    "matplotlib",
    "snakemake",
    "papermill",
)


def git_commit(root: str | os.PathLike[str] = PROJECT_ROOT) -> str:
    """Current commit of the project, with ``-dirty`` when the work tree has changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape the numbers."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def fingerprint(paths: list[str | os.PathLike[str]]) -> str:
    """SHA-256 over the bytes of the input files (in the given order): same data, same print."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode("utf-8"))
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def collect(config: dict[str, Any], inputs: list[str | os.PathLike[str]]) -> dict[str, Any]:
    """Everything a reader needs to trace a report back to code, config and data."""
    return {
        "git_commit": git_commit(),
        "config_hash": config_hash(config),
        "input_fingerprint": fingerprint(inputs),
        "packages": package_versions(),
        "run_date": dt.date.today().isoformat(),
    }
