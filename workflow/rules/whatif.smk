# Policy what-if (synthetic runs): the county of `whatif.county` simulated `whatif.seeds` times,
# each draw replayed under the baseline and every scenario's levers (common random numbers);
# paired differences with intervals over seeds and the page reports/whatif.html.


rule whatif:
    input:
        # only the what-if county's profile: another county's change does not rerun it
        profiles=lambda wildcards: whatif_profile(),
    output:
        results="reports/metrics/whatif/results.csv",
        summary="reports/metrics/whatif/summary.csv",
        page="reports/whatif.html",
    params:
        config=lambda wildcards: config_json(
            "seed", "counties", "simulate", "monitoring", "rule", "capacity", "thresholds", "report",
            "whatif",
        ),
    log:
        "reports/logs/whatif/all.log",
    benchmark:
        "reports/benchmarks/whatif/all.tsv"
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models whatif --profiles {input.profiles} --config-json {params.config:q}"
        " --results-out {output.results} --summary-out {output.summary}"
        " --page-out {output.page} > {log} 2>&1"

