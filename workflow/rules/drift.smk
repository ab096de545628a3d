# Model drift across years (docs/evaluation.md, Drift): one pooled job. The models are trained
# on the years up to drift.train_until_year and scored on each later labelled year (pooled and
# per county), with the PSI of their inputs, logistic recalibration on each later year applied
# to the next, and the keep / recalibrate / refit rule. `drift` pools every county (the
# comparative report); `drift_county` follows a county's own models on its own rows only (its
# page), so a county's page still reads only that county's files.


rule drift:
    input:
        features=expand(rules.features.output[0], county=COUNTIES),
        truth=synthetic_only(*expand(paths.TRUTH, county=COUNTIES)),
    output:
        **{t: paths.in_dir(paths.DRIFT_DIR, t, ".csv") for t in paths.DRIFT_TABLES},
        summary=paths.in_dir(paths.DRIFT_DIR, paths.DRIFT_SUMMARY),
    params:
        config=drift_params,
        out_dir=folder_of("summary", of="output"),
    log:
        paths.log("drift", "all"),
    benchmark:
        paths.benchmark("drift", "all")
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models drift --features {input.features}"
        " --truth {input.truth} --config-json {params.config:q}"
        " --out-dir {params.out_dir} > {log} 2>&1"


rule drift_county:
    input:
        features=rules.features.output[0],
        truth=synthetic_only(paths.TRUTH),
    output:
        **{t: paths.in_dir(paths.COUNTY_DRIFT_DIR, t, ".csv") for t in paths.DRIFT_TABLES},
        summary=paths.in_dir(paths.COUNTY_DRIFT_DIR, paths.DRIFT_SUMMARY),
    params:
        config=drift_params,
        out_dir=folder_of("summary", of="output"),
    log:
        paths.log("drift_county"),
    benchmark:
        paths.benchmark("drift_county")
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
