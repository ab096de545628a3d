# Stage 6: reconciliation with published figures, county reports (each from its own county's
# files only) and the comparative report (the province-level models and the combined tables).


rule reconcile:
    input:
        households="data/interim/{county}/households.parquet",
        panel="data/interim/{county}/panel.parquet",
        events="data/interim/{county}/events.parquet",
        profile=county_profile,
        calibration=county_calibration,
    output:
        "reports/metrics/reconciliation/{county}.csv",
    params:
        config=reconcile_params,
        calibration=calibration_option,
    log:
        "reports/logs/reconcile/{county}.log",
    benchmark:
        "reports/benchmarks/reconcile/{county}.tsv"
    resources:
        mem_mb=8000,
        runtime=20,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models reconcile --county {wildcards.county} --profile {input.profile}"
        " --interim-dir data/interim/{wildcards.county} --config-json {params.config:q}"
        " {params.calibration} --out {output} > {log} 2>&1"


rule combine_reconciliation:
    input:
        expand("reports/metrics/reconciliation/{county}.csv", county=COUNTIES),
    output:
        "reports/reconciliation.csv",
    log:
        "reports/logs/combine_reconciliation/all.log",
    benchmark:
        "reports/benchmarks/combine_reconciliation/all.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models combine --csv-out {output} --csv {input} > {log} 2>&1"


rule county_report:
    input:
        profile=county_profile,
        cleaning="data/interim/{county}/cleaning_report.json",
        panel="data/interim/{county}/panel.parquet",
        features="data/processed/{county}/features.parquet",
        reconciliation="reports/metrics/reconciliation/{county}.csv",
        models="reports/metrics/models/{county}.json",
        coefficients="reports/metrics/coefficients/{county}.csv",
        thresholds="reports/metrics/thresholds/{county}.csv",
        recommended="reports/metrics/recommended/{county}.json",
        detail="reports/metrics/thresholds_detail/{county}",
        drift=rules.drift_county.output.summary,
    output:
        html="reports/counties/{county}.html",
        notebook="reports/notebooks/04_county_report_{county}.ipynb",
    params:
        config=report_params,
        drift_dir=lambda wildcards, input: os.path.dirname(input.drift),
    log:
        "reports/logs/county_report/{county}.log",
    benchmark:
        "reports/benchmarks/county_report/{county}.tsv"
    resources:
        mem_mb=8000,
        runtime=20,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 04_county_report {output.notebook} --html {output.html}"
        " -p county {wildcards.county} -p config_json {params.config:q}"
        " -p profile_path {input.profile} -p cleaning_path {input.cleaning}"
        " -p panel_path {input.panel} -p features_path {input.features}"
        " -p reconciliation_path {input.reconciliation} -p models_path {input.models}"
        " -p coefficients_path {input.coefficients} -p thresholds_path {input.thresholds}"
        " -p recommended_path {input.recommended} -p detail_dir {input.detail}"
        " -p drift_dir {params.drift_dir} > {log} 2>&1"


rule comparative_report:
    input:
        profiles=expand("{dir}/{county}.yaml", dir=config["profiles_dir"], county=COUNTIES),
        county_pages=expand("reports/counties/{county}.html", county=COUNTIES),
        reconciliation="reports/reconciliation.csv",
        models="reports/metrics/models.json",
        thresholds="reports/metrics/thresholds.csv",
        recommended="reports/metrics/recommended_thresholds.json",
        tier_comparison="reports/metrics/tier_comparison.csv",
        robustness=robustness_inputs,
        drift=rules.drift.output,
        whatif=lambda wildcards: whatif_targets(),
    output:
        html="reports/index.html",
        notebook="reports/notebooks/05_comparative_report.ipynb",
    params:
        config=report_params,
        counties=COUNTIES_JSON,
        profiles=profiles_json,
        robustness_dir=lambda wildcards, input: "reports/metrics/robustness" if input.robustness else "",
        # the page's link is relative to reports/index.html
        whatif_page=lambda wildcards, input: os.path.relpath(input.whatif[0], "reports") if input.whatif else "",
    log:
        "reports/logs/comparative_report/all.log",
    benchmark:
        "reports/benchmarks/comparative_report/all.tsv"
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 05_comparative_report {output.notebook} --html {output.html}"
        " -p counties {params.counties:q} -p config_json {params.config:q}"
        " -p profiles {params.profiles:q} -p reconciliation_path {input.reconciliation}"
        " -p models_path {input.models} -p thresholds_path {input.thresholds}"
        " -p recommended_path {input.recommended}"
        " -p tier_comparison_path {input.tier_comparison}"
        " -p robustness_dir '{params.robustness_dir}' -p drift_dir reports/metrics/drift"
        " -p whatif_page '{params.whatif_page}' > {log} 2>&1"
