# Stage 1: the synthetic monitoring panel (the embedded default data), one job per county.


rule simulate:
    input:
        profile=PROFILE,
    output:
        **{t: paths.in_dir(paths.RAW_DIR, t, ".parquet") for t in paths.RAW_TABLES},
        truth=paths.TRUTH,
        calibration=paths.CALIBRATION,
    params:
        config=simulate_params,
        raw_dir=folder_of("households", of="output"),
        truth_dir=folder_of("truth", of="output"),
    log:
        paths.log("simulate"),
    benchmark:
        paths.benchmark("simulate")
    # data preparation first: the pooled fit needs every county's features (see model.smk)
    priority: 20
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models simulate --county {wildcards.county} --profile {input.profile}"
        " --config-json {params.config:q} --raw-dir {params.raw_dir}"
        " --truth-dir {params.truth_dir} --calibration-out {output.calibration}"
        " > {log} 2>&1"
