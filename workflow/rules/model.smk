# Stage 4: the relapse-risk models (notebook 02_models), at two levels:
# - fit_county, one job per county on that county's files alone (out of time, no
#   leave-one-county-out, no drivers): what the county's thresholds and page read, so a
#   change to one county reruns only its own fit;
# - fit, the province-level job pooled over all counties (out of time, leave-one-county-out,
#   drivers), read by the comparative report only.


rule fit_county:
    input:
        features="data/processed/{county}/features.parquet",
        truth=county_truth,
    output:
        metrics="reports/metrics/models/{county}.json",
        coefficients="reports/metrics/coefficients/{county}.csv",
        predictions="data/processed/models/{county}/predictions.parquet",
        notebook="reports/notebooks/02_models_{county}.ipynb",
    params:
        config=model_params,
        counties=lambda wildcards: json.dumps([wildcards.county]),
        truth_dir="data/truth" if config["data"]["source"] == "synthetic" else "",
    log:
        "reports/logs/fit_county/{county}.log",
    benchmark:
        "reports/benchmarks/fit_county/{county}.tsv"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models notebook 02_models {output.notebook} -p config_json {params.config:q}"
        " -p features_dir data/processed -p truth_dir '{params.truth_dir}'"
        " -p counties {params.counties:q} -p metrics_path {output.metrics}"
        " -p coefficients_path {output.coefficients} -p predictions_path {output.predictions}"
        " -p drivers_path '' -p leave_one_county_out false"
        " -p models_dir data/processed/models/{wildcards.county}"
        " > {log} 2>&1"


rule fit:
    input:
        features=expand("data/processed/{county}/features.parquet", county=COUNTIES),
        truth=truth_inputs,
    output:
        metrics="reports/metrics/models.json",
        coefficients="reports/metrics/coefficients.csv",
        predictions="data/processed/models/predictions.parquet",
        drivers="reports/metrics/drivers.csv",
        notebook="reports/notebooks/02_models.ipynb",
    params:
        config=model_params,
        counties=COUNTIES_JSON,
        truth_dir="data/truth" if config["data"]["source"] == "synthetic" else "",
    log:
        "reports/logs/fit/all.log",
    benchmark:
        "reports/benchmarks/fit/all.tsv"
    # The longest single job: it starts as soon as every county's features exist (priority)
    # and runs on half the machine's cores beside the county chains (on 2 cores: one core for
    # it, one for them), which finishes sooner than waiting for both cores at the end.
    # workflow/profiles/slurm gives it 8.
    threads: half_the_cores()
    priority: 10
    resources:
        # measured peak 7.4 GB at 1,000,000 households (docs/scaling.md); with a county
        # job's 8000 it fits the local profile's 20000, so it can run beside them
        mem_mb=12000,
        runtime=120,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models notebook 02_models {output.notebook} -p config_json {params.config:q}"
        " -p features_dir data/processed -p truth_dir '{params.truth_dir}'"
        " -p counties {params.counties:q} -p metrics_path {output.metrics}"
        " -p coefficients_path {output.coefficients} -p predictions_path {output.predictions}"
        " -p drivers_path {output.drivers} -p models_dir data/processed/models"
        # the longest job shows its progress (a line per model and held-out county) on the
        # console as well as in its log
        " 2>&1 | tee {log} >&2"


# Robustness (synthetic runs): every model and baseline fitted and evaluated the same way under
# each truth mechanism of `robustness.mechanisms`; the run's own mechanism comes from the
# pooled fit above. The comparative report states as findings only what holds under all.
rule robustness:
    input:
        profiles=expand("{dir}/{county}.yaml", dir=config["profiles_dir"], county=COUNTIES),
        models="reports/metrics/models.json",
    output:
        metrics="reports/metrics/robustness/metrics.csv",
        comparisons="reports/metrics/robustness/comparisons.csv",
        findings="reports/metrics/robustness/findings.csv",
    params:
        config=lambda wildcards: config_json(
            "seed", "simulate", "monitoring", "features", "rule", "models", "capacity", "robustness"
        ),
    log:
        "reports/logs/robustness/all.log",
    benchmark:
        "reports/benchmarks/robustness/all.tsv"
    threads: half_the_cores()
    resources:
        mem_mb=12000,
        runtime=120,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models robustness --profiles {input.profiles}"
        " --config-json {params.config:q} --models {input.models}"
        " --metrics-out {output.metrics} --comparisons-out {output.comparisons}"
        " --findings-out {output.findings} 2>&1 | tee {log} >&2"
