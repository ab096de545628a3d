# Stage 4: the relapse-risk models (notebook 02_models), at two levels:
# - fit_county, one job per county on that county's files alone (out of time, no
#   leave-one-county-out, no drivers): what the county's thresholds and page read, so a
#   change to one county reruns only its own fit;
# - fit, the province-level job pooled over all counties (out of time, leave-one-county-out,
#   drivers), read by the comparative report only.


rule fit_county:
    input:
        features=rules.features.output[0],
        truth=synthetic_only(paths.TRUTH),
    output:
        metrics=paths.COUNTY_MODELS,
        coefficients=paths.COUNTY_COEFFICIENTS,
        predictions=paths.COUNTY_PREDICTIONS,
        notebook=paths.notebook("02_models"),
    params:
        config=model_params,
        counties=one_county_json,
        truth_dir=folder_of("truth", up=2),
        features_dir=folder_of("features", up=2),
        models_dir=folder_of("predictions", of="output"),
    log:
        paths.log("fit_county"),
    benchmark:
        paths.benchmark("fit_county")
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models notebook 02_models {output.notebook} -p config_json {params.config:q}"
        " -p features_dir {params.features_dir} -p truth_dir '{params.truth_dir}'"
        " -p counties {params.counties:q} -p metrics_path {output.metrics}"
        " -p coefficients_path {output.coefficients} -p predictions_path {output.predictions}"
        " -p drivers_path '' -p leave_one_county_out false"
        " -p models_dir {params.models_dir}"
        " > {log} 2>&1"


# Every county's features and truth, as one file the held-out fits depend on: each of them
# reads every county, and an input per county in each of n jobs made the DAG quadratic in the
# counties (a 1,000-county dry run spent minutes matching files to jobs).
rule pooled_inputs:
    input:
        features=expand(rules.features.output[0], county=COUNTIES),
        truth=synthetic_only(*expand(paths.TRUTH, county=COUNTIES)),
    output:
        paths.POOLED_INPUTS,
    log:
        paths.log("pooled_inputs", "all"),
    # the held-out fits and the pooled fit (priority 10) wait on this one-second job: at the
    # default priority it queued behind the county jobs (at 1,000,000 households, 358 s)
    priority: 10
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models pooled-inputs --features {input.features} --truth {input.truth}"
        " --out {output} > {log} 2>&1"


# Leave one county out, one job per held-out county: trained and tuned on the other counties,
# scored on this one (parallel here, separate jobs on a cluster); the pooled fit combines them.
rule fit_loco:
    input:
        rules.pooled_inputs.output[0],
    output:
        predictions=paths.in_dir(paths.HELD_OUT_DIR, "predictions", ".parquet"),
        tuning=paths.in_dir(paths.HELD_OUT_DIR, "tuning", ".json"),
    params:
        config=model_params,
    log:
        paths.log("fit_loco"),
    benchmark:
        paths.benchmark("fit_loco")
    threads: 1
    priority: 10
    resources:
        # it reads only the rows it uses (stages.fit.fit_rows): measured 2.8 GB for the
        # largest county at 1,000,000 households (docs/scaling.md), so two run side by side
        mem_mb=6000,
        runtime=60,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models held-out --county {wildcards.county}"
        " --inputs {input} --config-json {params.config:q}"
        " --predictions-out {output.predictions} --tuning-out {output.tuning} > {log} 2>&1"


rule fit:
    input:
        features=expand(rules.features.output[0], county=COUNTIES),
        truth=synthetic_only(*expand(paths.TRUTH, county=COUNTIES)),
        held_out=expand(rules.fit_loco.output.tuning, county=COUNTIES) if HELD_OUT else [],
        held_out_predictions=(
            expand(rules.fit_loco.output.predictions, county=COUNTIES) if HELD_OUT else []
        ),
    output:
        metrics=paths.MODELS,
        coefficients=paths.COEFFICIENTS,
        predictions=paths.PREDICTIONS,
        drivers=paths.DRIVERS,
        notebook=paths.notebook("02_models", county=False),
    params:
        config=model_params,
        counties=COUNTIES_JSON,
        truth_dir=folder_of("truth", up=2),
        features_dir=folder_of("features", up=2),
        models_dir=folder_of("predictions", of="output"),
        held_out_dir=folder_of("held_out", up=2),
    log:
        paths.log("fit", "all"),
    benchmark:
        paths.benchmark("fit", "all")
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
        " -p features_dir {params.features_dir} -p truth_dir '{params.truth_dir}'"
        " -p counties {params.counties:q} -p metrics_path {output.metrics}"
        " -p coefficients_path {output.coefficients} -p predictions_path {output.predictions}"
        " -p drivers_path {output.drivers} -p models_dir {params.models_dir}"
        " -p held_out_dir '{params.held_out_dir}'"
        # the longest job shows its progress (a line per model and held-out county) on the
        # console as well as in its log
        " 2>&1 | tee {log} >&2"


# Robustness (synthetic runs): every model and baseline fitted and evaluated the same way under
# each truth mechanism of `robustness.mechanisms`; the run's own mechanism comes from the
# pooled fit above. The comparative report states as findings only what holds under all.
rule robustness:
    input:
        profiles=PROFILES,
        models=rules.fit.output.metrics,
    output:
        **{t: paths.in_dir(paths.ROBUSTNESS_DIR, t, ".csv") for t in paths.ROBUSTNESS_TABLES},
    params:
        config=robustness_params,
    log:
        paths.log("robustness", "all"),
    benchmark:
        paths.benchmark("robustness", "all")
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
