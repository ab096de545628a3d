# Policy what-if (synthetic runs): the county of `whatif.county` simulated `whatif.seeds` times,
# each draw replayed under the baseline and every scenario's levers (common random numbers);
# paired differences with intervals over seeds and the page reports/whatif.html.


rule whatif:
    input:
        # only the what-if county's profile: another county's change does not rerun it
        profiles=whatif_profile,
    output:
        results=paths.in_dir(paths.WHATIF_DIR, "results", ".csv"),
        summary=paths.in_dir(paths.WHATIF_DIR, "summary", ".csv"),
        page=paths.WHATIF_PAGE,
    params:
        config=whatif_params,
    log:
        paths.log("whatif", "all"),
    benchmark:
        paths.benchmark("whatif", "all")
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models whatif --profiles {input.profiles} --config-json {params.config:q}"
        " --results-out {output.results} --summary-out {output.summary}"
        " --page-out {output.page} > {log} 2>&1"

