"""Privacy: no name, ID number, phone or bank account of the inputs in any output, the
pseudonymisation key nowhere, and data text in reports escaped.

The scanner reads every file as what it is (parquet cells and schema, notebooks and pages as
text with embedded images cut out, anything else as raw bytes) and looks for

- the personal values of the inputs: the messy exports the generator writes (fake names,
  ID numbers with valid check digits, phones) go through the cleaning step exactly as the
  pipeline's clean job runs it (notebook 01_clean) and through the ``clean`` CLI;
- anything shaped like personal data: a valid GB 11643 ID number, a mobile number;
- the key the runs were given (``RELAPSE_PSEUDONYM_KEY``), as text, hex or base64.

It runs over every output of the session's pipeline runs too: data/, reports/ (logs,
benchmarks, executed notebooks) and Snakemake's .snakemake/ metadata.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import pyarrow.parquet as pq
import pytest

from relapse_models.data.idcard import is_valid

ROOT = Path(__file__).resolve().parents[1]
COUNTY = "xunyi"
PERSONAL_COLUMNS = {"name": "户主姓名", "id_number": "证件号码", "phone": "联系电话"}
BANK = re.compile("银行|账号|卡号")
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
# not inside a longer run of letters and digits (a sha256 checksum in Snakemake's metadata
# holds phone-shaped digit runs), nor a decimal or a dashed number
PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z.\-])1[3-9]\d{9}(?![0-9A-Za-z.])")
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


@dataclass
class Scan:
    """What one scan looked at and what it found."""

    files: list[str] = field(default_factory=list)
    hits: list[str] = field(default_factory=list)


def file_text(path: Path) -> str:
    """A file's content as searchable text (embedded base64 images cut out)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        meta = str(table.schema.metadata or "")
        return "\n".join([meta, ",".join(table.column_names), table.to_pandas().to_csv()])
    if path.suffix == ".xlsx":  # a zip: read the cells
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
        return "\n".join(frame.to_csv() for frame in sheets.values())
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # GBK text, or binary: search both readings
        text = raw.decode("gb18030", errors="replace") + raw.decode("utf-8", errors="replace")
    return DATA_URI.sub("", text)


def scan(folders: list[Path], secrets: dict[str, set[str]]) -> Scan:
    """Look through every file under ``folders`` for each value of ``secrets`` (kind ->
    values) and for ID-number and mobile-number shaped text."""
    result = Scan()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            result.files.append(str(path))
            text = file_text(path)
            for kind, values in secrets.items():
                found = sorted(v for v in values if v in text)
                result.hits += [f"{path}: {kind} {v!r}" for v in found[:3]]
            ids = [m for m in ID_LIKE.findall(text) if is_valid(m)]
            result.hits += [f"{path}: ID-number shaped {m!r}" for m in ids[:3]]
            result.hits += [f"{path}: phone shaped {m!r}" for m in PHONE_LIKE.findall(text)[:3]]
    return result


def key_forms(key: str) -> set[str]:
    raw = key.encode("utf-8")
    return {key, raw.hex(), base64.b64encode(raw).decode(), key[:24]}


def _read_export(path: Path) -> pd.DataFrame:
    """An export with its header row found (title rows above it)."""
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, header=None, dtype=str, engine="openpyxl")
    else:
        encoding = "gbk" if "gbk" in path.name else "utf-8-sig"
        raw = pd.read_csv(path, header=None, dtype=str, encoding=encoding, skip_blank_lines=False,
                          names=range(60), engine="python")
    header = raw.index[raw.apply(lambda r: PERSONAL_COLUMNS["id_number"] in set(r), axis=1)][0]
    frame = raw.iloc[header + 1:].copy()
    frame.columns = raw.iloc[header].tolist()
    return frame


def personal_values(exports: list[Path]) -> dict[str, set[str]]:
    """The names, ID numbers, phones and bank accounts that the exports hold."""
    frames = [_read_export(p) for p in exports]
    values: dict[str, set[str]] = {kind: set() for kind in (*PERSONAL_COLUMNS, "bank_account")}
    for frame in frames:
        for kind, column in PERSONAL_COLUMNS.items():
            values[kind] |= set(frame[column].dropna().str.strip()) - {""}
        for column in [c for c in frame.columns if isinstance(c, str) and BANK.search(c)]:
            values["bank_account"] |= set(frame[column].dropna().str.strip()) - {""}
    return values


@pytest.fixture(scope="module")
def cleaned_exports(
    tmp_path_factory, pipeline_environment, pseudonym_key, project_factory, snakemake_runner
) -> dict:
    """Messy exports of one tiny county, cleaned the two ways a user cleans them: by the
    pipeline (``data.source: files``, Snakemake's clean and features jobs with their logs,
    benchmarks, executed notebook and metadata) and by the ``clean`` command."""
    root = tmp_path_factory.mktemp("privacy")
    exports = root / "exports"

    def cli(*args: str, log: Path) -> None:
        run = subprocess.run([str(Path(sys.executable).parent / "relapse-models"), *args],
                             cwd=root, env=pipeline_environment, capture_output=True, text=True,
                             timeout=600)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(run.stdout + run.stderr, encoding="utf-8")
        assert run.returncode == 0, run.stderr[-3000:]

    cli("simulate", "--county", COUNTY, "--profile", str(ROOT / "config" / "counties" /
        f"{COUNTY}.yaml"), "--config-json", '{"seed": 20240601, "simulate": {"scale": 0.002}, "monitoring": {}}',
        "--raw-dir", "raw", "--truth-dir", "truth", "--messy-dir", str(exports),
        log=root / "simulate.log")
    files = sorted(str(p) for p in exports.iterdir() if p.suffix in (".csv", ".xlsx"))
    project = project_factory(root / "project", {
        "counties": [COUNTY], "data": {"source": "files", "files": {COUNTY: files}},
    })
    run = snakemake_runner(project, f"data/processed/{COUNTY}/features.parquet")
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    cli("clean", *files, "--county", COUNTY, "--out", "cli", log=root / "cli" / "clean.log")
    return {
        "outputs": [project / "data", project / "reports", project / ".snakemake", root / "cli"],
        "exports": [Path(f) for f in files],
        "values": personal_values([Path(f) for f in files]),
        "key": pseudonym_key,
    }


def test_the_scanner_finds_planted_personal_data(tmp_path):
    """The scanner can fail: values planted in a compressed parquet, a notebook and a page
    next to a base64 image are all found."""
    from relapse_models.core.io import write_parquet

    ident = "610429197206057521"
    assert is_valid(ident)
    write_parquet(pd.DataFrame({"x": [1.5], "who": ["马文"]}), tmp_path / "t.parquet")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "stream", text=f"phone 15078769680 id {ident}")]))
    nbformat.write(nb, tmp_path / "n.ipynb")
    (tmp_path / "p.html").write_text(
        '<img src="data:image/png;base64,MTM4MTIzNDU2Nzg="><p>key: secret-key-value</p>'
    )
    # a checksum's phone-shaped digit run (Snakemake's metadata) is not a phone number
    (tmp_path / "m.json").write_text('{"sha256": "a6b790b11f23b1416e14229983623ef71e"}')
    found = scan([tmp_path], {"name": {"马文"}, "key": {"secret-key-value"}})
    kinds = {hit.split(": ", 1)[1].split(" ")[0] for hit in found.hits}
    assert kinds == {"name", "key", "ID-number", "phone"}
    assert len(found.files) == 4 and not any("m.json" in hit for hit in found.hits)


@pytest.mark.integration
def test_the_exports_do_hold_personal_data(cleaned_exports):
    """The scan below means something: the inputs are full of personal data, and the
    scanner finds it in them (every file, every kind)."""
    values = cleaned_exports["values"]
    assert len(values["name"]) >= 50 and len(values["id_number"]) >= 100
    assert len(values["phone"]) >= 100
    assert sum(bool(is_valid(v)) for v in values["id_number"]) >= 100
    exports = cleaned_exports["exports"]
    found = scan([exports[0].parent], {k: v for k, v in values.items() if v})
    for export in exports:
        kinds = {h.split(": ", 1)[1].split(" ")[0] for h in found.hits if h.startswith(str(export))}
        assert {"name", "id_number", "phone", "ID-number"} <= kinds, export


@pytest.mark.integration
def test_cleaning_writes_no_personal_data_and_no_key(cleaned_exports):
    secrets = {**cleaned_exports["values"], "key": key_forms(cleaned_exports["key"])}
    found = scan(cleaned_exports["outputs"], secrets)
    # the clean job's tables, quarantine, report, executed notebook, log and benchmark, the
    # features, Snakemake's records; the CLI's outputs
    names = {Path(f).name for f in found.files}
    assert {"panel.parquet", "households.parquet", "quarantine.parquet", "cleaning_report.json",
            f"01_clean_{COUNTY}.ipynb", f"{COUNTY}.log", f"{COUNTY}.tsv", "features.parquet",
            "quarantine.csv", "clean.log"} <= names
    assert any("/.snakemake/" in f for f in found.files)
    assert found.hits == []


@pytest.mark.integration
def test_pipeline_outputs_hold_no_personal_data_and_no_key(
    pipeline_project, interrupted_project, pseudonym_key
):
    """Every output of both session runs, Snakemake's metadata included (the synthetic
    panel carries no names; this catches the key and anything shaped like an ID or phone)."""
    folders = [root / sub for root in (pipeline_project, interrupted_project.workdir)
               for sub in ("data", "reports", ".snakemake") if (root / sub).exists()]
    found = scan(folders, {"key": key_forms(pseudonym_key)})
    assert len(found.files) > 100
    assert found.hits == []


def test_reports_escape_html_in_data_text(tmp_path):
    """A village called ``<script>…`` shows as text in a report page, never runs."""
    from relapse_models.report.render import notebook_to_html
    from relapse_models.report.tables import html_table

    evil = "<script>alert('村')</script>"
    table = html_table(pd.DataFrame({"村": [evil], "户数": [3]}))
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": table, "text/plain": "t"}),
        nbformat.v4.new_output("stream", text=evil),
        nbformat.v4.new_output("execute_result", data={"text/plain": evil}, execution_count=1),
    ]))
    nbformat.write(nb, tmp_path / "r.ipynb")
    html = notebook_to_html(tmp_path / "r.ipynb", tmp_path / "r.html").read_text("utf-8")
    assert "alert(" in html  # the text is there ...
    assert evil not in html  # ... but never as a tag
    assert html.count("&lt;script&gt;alert(") == 3


@pytest.mark.integration
def test_pipeline_pages_run_only_the_explorer(pipeline_project):
    """The only script on a page is the county page's threshold explorer (one module script,
    closed once: data text inside it cannot close it); every other page has none."""
    pages = sorted((pipeline_project / "reports").rglob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        explorer = 'id="threshold-explorer"' in html
        assert re.findall(r"<script\b[^>]*>", html, flags=re.I) == (
            ['<script type="module">'] if explorer else []), page
        assert len(re.findall(r"</script", html, flags=re.I)) == int(explorer), page
