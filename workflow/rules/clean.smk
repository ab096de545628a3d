# Stage 2: clean observable inputs into canonical tables (notebook 01_clean), one job per county.


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
    log:
        "reports/logs/clean/{county}.log",
    benchmark:
        "reports/benchmarks/clean/{county}.tsv"
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 01_clean {output.notebook} -p county {wildcards.county}"
        " -p inputs {params.inputs:q} -p out_dir data/interim/{wildcards.county} > {log} 2>&1"
