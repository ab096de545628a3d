# Model drift across years (docs/evaluation.md, Drift): one pooled job. The models are trained
# on the years up to drift.train_until_year and scored on each later labelled year (pooled and
# per county), with the PSI of their inputs, logistic recalibration on each later year applied
# to the next, and the keep / recalibrate / refit rule. Read by the county pages and the
# comparative report.


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
