"""Provenance: fingerprints change with data, versions are real."""

import re

from relapse_models.core.provenance import collect, fingerprint, git_commit, package_versions


def test_fingerprint_depends_on_bytes(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"one")
    b.write_bytes(b"one")
    assert fingerprint([a]) != fingerprint([b])  # the file name is part of it
    b2 = tmp_path / "x" / "a.bin"
    b2.parent.mkdir()
    b2.write_bytes(b"one")
    assert fingerprint([a]) == fingerprint([b2])
    b2.write_bytes(b"two")
    assert fingerprint([a]) != fingerprint([b2])


def test_package_versions_are_installed_versions():
    import pandas

    versions = package_versions()
    assert versions["pandas"] == pandas.__version__
    assert re.match(r"3\.11\.", versions["python"])


def test_git_commit_outside_a_repo(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_collect_has_every_field(tmp_path):
    f = tmp_path / "in.parquet"
    f.write_bytes(b"x")
    prov = collect({"seed": 1}, [f])
    assert set(prov) == {"git_commit", "config_hash", "input_fingerprint", "packages", "run_date"}
