# Stage 5: evaluate early-warning thresholds per county (notebook 03_thresholds) on the county's
# own model scores (fit_county), then combine.


rule thresholds:
    input:
        predictions=rules.fit_county.output.predictions,
        features=rules.features.output[0],
        **{t: getattr(rules.clean.output, t) for t in paths.RAW_TABLES},
    output:
        table=paths.COUNTY_THRESHOLDS,
        recommended=paths.COUNTY_RECOMMENDED,
        notebook=paths.notebook("03_thresholds"),
        detail=directory(paths.COUNTY_THRESHOLDS_DETAIL),
        tier_resolution=paths.COUNTY_TIER_COMPARISON,
    params:
        config=threshold_params,
        interim_dir=folder_of("households"),
    log:
        paths.log("thresholds"),
    benchmark:
        paths.benchmark("thresholds")
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 03_thresholds {output.notebook} -p county {wildcards.county}"
        " -p config_json {params.config:q} -p predictions_path {input.predictions}"
        " -p table_path {output.table} -p features_path {input.features}"
        " -p interim_dir {params.interim_dir} -p detail_dir {output.detail}"
        " -p recommended_path {output.recommended}"
        " -p tier_resolution_path {output.tier_resolution} > {log} 2>&1"


rule combine_thresholds:
    input:
        tables=expand(rules.thresholds.output.table, county=COUNTIES),
        recommended=expand(rules.thresholds.output.recommended, county=COUNTIES),
    output:
        table=paths.THRESHOLDS,
        recommended=paths.RECOMMENDED,
    log:
        paths.log("combine_thresholds", "all"),
    benchmark:
        paths.benchmark("combine_thresholds", "all")
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
        expand(rules.thresholds.output.tier_resolution, county=COUNTIES),
    output:
        paths.TIER_COMPARISON,
    log:
        paths.log("combine_tier_comparison", "all"),
    benchmark:
        paths.benchmark("combine_tier_comparison", "all")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models combine --csv-out {output} --csv {input} > {log} 2>&1"
