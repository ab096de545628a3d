# Stage 4: fit the relapse-risk models on all counties and validate them (notebook 02_models).


rule fit:
    input:
        features=expand("data/processed/{county}/features.parquet", county=COUNTIES),
        truth=truth_inputs,
    output:
        metrics="reports/metrics/models.json",
        coefficients="reports/metrics/coefficients.csv",
        predictions="data/processed/models/predictions.parquet",
        drivers="reports/metrics/drivers.csv",
        notebook="reports/notebooks/02_models.ipynb",
    params:
        config=model_params,
        counties=COUNTIES_JSON,
        truth_dir="data/truth" if config["data"]["source"] == "synthetic" else "",
    log:
        "reports/logs/fit/all.log",
    benchmark:
        "reports/benchmarks/fit/all.tsv"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=120,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} relapse-models notebook 02_models {output.notebook} -p config_json {params.config:q}"
        " -p features_dir data/processed -p truth_dir '{params.truth_dir}'"
        " -p counties {params.counties:q} -p metrics_path {output.metrics}"
        " -p coefficients_path {output.coefficients} -p predictions_path {output.predictions}"
        " -p drivers_path {output.drivers} -p models_dir data/processed/models"
        " > {log} 2>&1"
