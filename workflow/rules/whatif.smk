# Policy what-if (synthetic runs): the county of `whatif.county` simulated `whatif.seeds` times,
# each draw replayed under the baseline and every scenario's levers (common random numbers);
# paired differences with intervals over seeds, and the page reports/whatif.html drawn from them
# by notebook 06_whatif.


rule whatif:
    input:
        # only the what-if county's profile: another county's change does not rerun it
        profiles=whatif_profile,
    output:
        results=paths.WHATIF_RESULTS,
        summary=paths.WHATIF_SUMMARY,
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
        " --results-out {output.results} --summary-out {output.summary} > {log} 2>&1"


rule whatif_report:
    input:
        results=rules.whatif.output.results,
        summary=rules.whatif.output.summary,
    output:
        html=paths.WHATIF_PAGE,
        notebook=paths.notebook("06_whatif", county=False),
    params:
        # the page reads the report settings and the scenarios only: nothing else reruns it
        config=whatif_report_params,
        county=whatif_county_param,
    log:
        paths.log("whatif_report", "all"),
    benchmark:
        paths.benchmark("whatif_report", "all")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    shell:
        "relapse-models notebook 06_whatif {output.notebook} --html {output.html}"
        " -p county {params.county} -p config_json {params.config:q}"
        " -p results_path {input.results} -p summary_path {input.summary} > {log} 2>&1"
