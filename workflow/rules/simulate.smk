# Stage 1: the synthetic monitoring panel (the embedded default data), one job per county.


rule simulate:
    input:
        profile=county_profile,
    output:
        households="data/raw/{county}/households.parquet",
        panel="data/raw/{county}/panel.parquet",
        events="data/raw/{county}/events.parquet",
        truth="data/truth/{county}/truth.parquet",
        calibration="reports/metrics/calibration/{county}.json",
    params:
        config=simulate_params,
    log:
        "reports/logs/simulate/{county}.log",
    benchmark:
        "reports/benchmarks/simulate/{county}.tsv"
    # data preparation first: the pooled fit needs every county's features (see model.smk)
    priority: 20
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models simulate --county {wildcards.county} --profile {input.profile}"
        " --config-json {params.config:q} --raw-dir data/raw/{wildcards.county}"
        " --truth-dir data/truth/{wildcards.county} --calibration-out {output.calibration}"
        " > {log} 2>&1"
