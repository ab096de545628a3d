# Stage 3: household-quarter features and the relapse label, one job per county.


rule features:
    input:
        **{t: getattr(rules.clean.output, t) for t in paths.RAW_TABLES},
        profile=PROFILE,
    output:
        paths.FEATURES,
    params:
        config=features_params,
        interim_dir=folder_of("households"),
    log:
        paths.log("features"),
    benchmark:
        paths.benchmark("features")
    # data preparation first: the pooled fit needs every county's features (see model.smk)
    priority: 20
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models features --county {wildcards.county} --profile {input.profile}"
        " --interim-dir {params.interim_dir} --config-json {params.config:q}"
        " --out {output} > {log} 2>&1"
