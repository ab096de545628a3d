# Stage 2: clean observable inputs into canonical tables (notebook 01_clean), one job per county.


if config["data"]["source"] == "files":  # real exports: files and a key, before any job
    from relapse_models.stages.clean import check_real_data

    check_real_data(config)


rule clean:
    input:
        clean_inputs,
    output:
        **{t: paths.in_dir(paths.INTERIM_DIR, t, ".parquet") for t in paths.RAW_TABLES},
        quarantine=paths.QUARANTINE,
        report=paths.CLEANING_REPORT,
        notebook=paths.notebook("01_clean"),
    params:
        inputs=clean_inputs_json,
        # the published demo pseudonym key only for synthetic data; real exports need
        # RELAPSE_PSEUDONYM_KEY or RELAPSE_PSEUDONYM_KEY_FILE
        synthetic="true" if SYNTHETIC else "false",
        out_dir=folder_of("households", of="output"),
    log:
        paths.log("clean"),
    benchmark:
        paths.benchmark("clean")
    # data preparation first: the pooled fit needs every county's features (see model.smk)
    priority: 20
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 01_clean {output.notebook} -p county {wildcards.county}"
        " -p inputs {params.inputs:q} -p synthetic {params.synthetic} -p out_dir {params.out_dir} > {log} 2>&1"
