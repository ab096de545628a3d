# Stage 2: clean observable inputs into canonical tables (notebook 01_clean), one job per county.


if config["data"]["source"] == "files":  # real exports: files and a key, before any job
    from relapse_models.stages.clean import check_real_data

    check_real_data(config)


rule clean:
    input:
        clean_inputs,
    output:
        households="data/interim/{county}/households.parquet",
        panel="data/interim/{county}/panel.parquet",
        events="data/interim/{county}/events.parquet",
        quarantine="data/interim/{county}/quarantine.parquet",
        report="data/interim/{county}/cleaning_report.json",
        notebook="reports/notebooks/01_clean_{county}.ipynb",
    params:
        inputs=clean_inputs_json,
        # the published demo pseudonym key only for synthetic data; real exports need
        # RELAPSE_PSEUDONYM_KEY or RELAPSE_PSEUDONYM_KEY_FILE
        synthetic="true" if config["data"]["source"] == "synthetic" else "false",
    log:
        "reports/logs/clean/{county}.log",
    benchmark:
        "reports/benchmarks/clean/{county}.tsv"
    # data preparation first: the pooled fit needs every county's features (see model.smk)
    priority: 20
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 01_clean {output.notebook} -p county {wildcards.county}"
        " -p inputs {params.inputs:q} -p synthetic {params.synthetic} -p out_dir data/interim/{wildcards.county} > {log} 2>&1"
