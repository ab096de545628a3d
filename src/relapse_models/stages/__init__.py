"""Pipeline stages: what a Snakemake rule (via a notebook or the CLI) runs, one module per stage.

Each takes paths and config, calls the layers below (report, warning, models, outcome, data,
core), and writes its outputs atomically; the notebooks call these and then draw and explain.
"""
