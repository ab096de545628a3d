# Model drift across years (docs/evaluation.md, Drift): one pooled job. The models are trained
# on the years up to drift.train_until_year and scored on each later labelled year (pooled and
# per county), with the PSI of their inputs, logistic recalibration on each later year applied
# to the next, and the keep / recalibrate / refit rule. `drift` pools every county (the
# comparative report); `drift_county` follows a county's own models on its own rows only (its
# page), so a county's page still reads only that county's files.


rule drift:
    input:
        features=expand("data/processed/{county}/features.parquet", county=COUNTIES),
        truth=truth_inputs,
    output:
        years="reports/metrics/drift/years.csv",
        psi="reports/metrics/drift/psi.csv",
        recalibration="reports/metrics/drift/recalibration.csv",
        summary="reports/metrics/drift/drift.json",
    params:
        config=lambda wildcards: config_json("seed", "monitoring", "rule", "models", "capacity", "drift"),
    log:
        "reports/logs/drift/all.log",
    benchmark:
        "reports/benchmarks/drift/all.tsv"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models drift --features {input.features}"
        " --truth {input.truth} --config-json {params.config:q}"
        " --out-dir reports/metrics/drift > {log} 2>&1"


rule drift_county:
    input:
        features="data/processed/{county}/features.parquet",
        truth=county_truth,
    output:
        years="reports/metrics/drift_county/{county}/years.csv",
        psi="reports/metrics/drift_county/{county}/psi.csv",
        recalibration="reports/metrics/drift_county/{county}/recalibration.csv",
        summary="reports/metrics/drift_county/{county}/drift.json",
    params:
        config=lambda wildcards: config_json("seed", "monitoring", "rule", "models", "capacity", "drift"),
        out_dir=lambda wildcards, output: os.path.dirname(output.years),
    log:
        "reports/logs/drift_county/{county}.log",
    benchmark:
        "reports/benchmarks/drift_county/{county}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models drift --features {input.features}"
        " --truth {input.truth} --config-json {params.config:q}"
        " --out-dir {params.out_dir} > {log} 2>&1"
