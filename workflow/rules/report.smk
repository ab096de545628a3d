# Stage 6: reconciliation with published figures, county reports (each from its own county's
# files only) and the comparative report (the province-level models and the combined tables).


# The county's page, after its reconciliation with the published figures: a few counts on the
# county's cleaned tables, run first in the same job rather than as a job of its own (one job
# fewer per county). Its inputs come from the jobs the page reads and its settings (`data`,
# `simulate`) are among the page's, so it gives the page no new reason to rerun.
rule county_report:
    input:
        profile=PROFILE,
        cleaning=rules.clean.output.report,
        households=rules.clean.output.households,
        panel=rules.clean.output.panel,
        events=rules.clean.output.events,
        calibration=synthetic_only(paths.CALIBRATION),
        features=rules.features.output[0],
        models=rules.fit_county.output.metrics,
        coefficients=rules.fit_county.output.coefficients,
        thresholds=rules.thresholds.output.table,
        recommended=rules.thresholds.output.recommended,
        detail=rules.thresholds.output.detail,
        drift=rules.drift_county.output.summary,
    output:
        html=paths.COUNTY_PAGE,
        notebook=paths.notebook("04_county_report"),
        reconciliation=paths.COUNTY_RECONCILIATION,
    params:
        config=report_params,
        calibration=calibration_option,
        interim_dir=folder_of("households"),
        drift_dir=folder_of("drift"),
    log:
        reconcile=paths.log("reconcile"),
        report=paths.log("county_report"),
    benchmark:
        paths.benchmark("county_report")
    resources:
        mem_mb=8000,
        runtime=20,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models reconcile --county {wildcards.county} --profile {input.profile}"
        " --interim-dir {params.interim_dir} --config-json {params.config:q}"
        " {params.calibration} --out {output.reconciliation} > {log.reconcile} 2>&1"
        " && relapse-models notebook 04_county_report {output.notebook} --html {output.html}"
        " -p county {wildcards.county} -p config_json {params.config:q}"
        " -p profile_path {input.profile} -p cleaning_path {input.cleaning}"
        " -p panel_path {input.panel} -p features_path {input.features}"
        " -p reconciliation_path {output.reconciliation} -p models_path {input.models}"
        " -p coefficients_path {input.coefficients} -p thresholds_path {input.thresholds}"
        " -p recommended_path {input.recommended} -p detail_dir {input.detail}"
        " -p drift_dir {params.drift_dir} > {log.report} 2>&1"


rule combine_reconciliation:
    input:
        expand(rules.county_report.output.reconciliation, county=COUNTIES),
    output:
        paths.RECONCILIATION,
    log:
        paths.log("combine_reconciliation", "all"),
    benchmark:
        paths.benchmark("combine_reconciliation", "all")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models combine --csv-out {output} --csv {input} > {log} 2>&1"


rule comparative_report:
    input:
        profiles=PROFILES,
        county_pages=expand(rules.county_report.output.html, county=COUNTIES),
        reconciliation=rules.combine_reconciliation.output[0],
        models=rules.fit.output.metrics,
        thresholds=rules.combine_thresholds.output.table,
        recommended=rules.combine_thresholds.output.recommended,
        tier_comparison=rules.combine_tier_comparison.output[0],
        robustness=synthetic_only(*rules.robustness.output),
        drift=rules.drift.output,
        whatif=whatif_targets(),
    output:
        html=paths.INDEX_PAGE,
        notebook=paths.notebook("05_comparative_report", county=False),
    params:
        config=report_params,
        counties=COUNTIES_JSON,
        profiles=profiles_json,
        robustness_dir=folder_of("robustness"),
        drift_dir=folder_of("drift"),
        # the what-if page's link, relative to reports/index.html (empty on real exports)
        whatif_page=link_to("whatif"),
    log:
        paths.log("comparative_report", "all"),
    benchmark:
        paths.benchmark("comparative_report", "all")
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
        " -p robustness_dir '{params.robustness_dir}' -p drift_dir {params.drift_dir}"
        " -p whatif_page '{params.whatif_page}' > {log} 2>&1"
