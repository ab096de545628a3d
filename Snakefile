# relapse-models: simulate -> clean -> features -> fit -> thresholds -> county reports -> comparative report
# Run through the Makefile (`make report`), which passes the workflow profile.

configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/thresholds.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "reports/index.html",
        expand("reports/counties/{county}.html", county=COUNTIES),
        "reports/metrics/models.json",
        "reports/metrics/thresholds.csv",
        "reports/metrics/recommended_thresholds.json",
        "reports/reconciliation.csv",
