# Stage 3: household-quarter features and the relapse label, one job per county.


rule features:
    input:
        households="data/interim/{county}/households.parquet",
        panel="data/interim/{county}/panel.parquet",
        events="data/interim/{county}/events.parquet",
        profile=county_profile,
    output:
        "data/processed/{county}/features.parquet",
    params:
        config=features_params,
    log:
        "reports/logs/features/{county}.log",
    benchmark:
        "reports/benchmarks/features/{county}.tsv"
    # data preparation first: the pooled fit needs every county's features (see model.smk)
    priority: 20
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models features --county {wildcards.county} --profile {input.profile}"
        " --interim-dir data/interim/{wildcards.county} --config-json {params.config:q}"
        " --out {output} > {log} 2>&1"
