# relapse-models. Per county: simulate -> clean -> features -> fit_county -> thresholds ->
# county report (which first reconciles the county's published figures). Combining all
# counties: fit (the pooled province-level models, leave-one-county-out), combine_* ->
# comparative report.
# A county's jobs read only that county's files: changing one county's profile reruns its own
# chain and the combining jobs, nothing of another county.
# Run through the Makefile (`make report`), which passes the workflow profile.

configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/drift.smk"
include: "workflow/rules/thresholds.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/whatif.smk"


rule all:
    default_target: True
    input:
        rules.comparative_report.output.html,
        expand(rules.county_report.output.html, county=COUNTIES),
        rules.fit.output.metrics,
        expand(rules.fit_county.output.metrics, county=COUNTIES),
        *rules.combine_thresholds.output,
        rules.combine_reconciliation.output[0],
        rules.drift.output.years,
        *whatif_targets(),
