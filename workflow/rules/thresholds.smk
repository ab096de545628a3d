# Stage 5: evaluate early-warning thresholds per county (notebook 03_thresholds) on the county's
# own model scores (fit_county), then combine.


rule thresholds:
    input:
        predictions="data/processed/models/{county}/predictions.parquet",
        features="data/processed/{county}/features.parquet",
        households="data/interim/{county}/households.parquet",
        panel="data/interim/{county}/panel.parquet",
        events="data/interim/{county}/events.parquet",
    output:
        table="reports/metrics/thresholds/{county}.csv",
        recommended="reports/metrics/recommended/{county}.json",
        notebook="reports/notebooks/03_thresholds_{county}.ipynb",
        detail=directory("reports/metrics/thresholds_detail/{county}"),
        tier_resolution="reports/metrics/tier_comparison/{county}.csv",
    params:
        config=threshold_params,
    log:
        "reports/logs/thresholds/{county}.log",
    benchmark:
        "reports/benchmarks/thresholds/{county}.tsv"
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 03_thresholds {output.notebook} -p county {wildcards.county}"
        " -p config_json {params.config:q} -p predictions_path {input.predictions}"
        " -p table_path {output.table} -p features_path {input.features}"
        " -p interim_dir data/interim/{wildcards.county} -p detail_dir {output.detail}"
        " -p recommended_path {output.recommended}"
        " -p tier_resolution_path {output.tier_resolution} > {log} 2>&1"


rule combine_thresholds:
    input:
        tables=expand("reports/metrics/thresholds/{county}.csv", county=COUNTIES),
        recommended=expand("reports/metrics/recommended/{county}.json", county=COUNTIES),
    output:
        table="reports/metrics/thresholds.csv",
        recommended="reports/metrics/recommended_thresholds.json",
    log:
        "reports/logs/combine_thresholds/all.log",
    benchmark:
        "reports/benchmarks/combine_thresholds/all.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models combine --csv-out {output.table} --json-out {output.recommended}"
        " --csv {input.tables} --json {input.recommended} > {log} 2>&1"


rule combine_tier_comparison:
    input:
        expand("reports/metrics/tier_comparison/{county}.csv", county=COUNTIES),
    output:
        "reports/metrics/tier_comparison.csv",
    log:
        "reports/logs/combine_tier_comparison/all.log",
    benchmark:
        "reports/benchmarks/combine_tier_comparison/all.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models combine --csv-out {output} --csv {input} > {log} 2>&1"
