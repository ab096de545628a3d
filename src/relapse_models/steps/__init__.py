"""Pipeline stages as functions: what a Snakemake rule (via a notebook or the CLI) runs.

Each takes paths and config, calls the package's logic, and writes its outputs atomically;
the notebooks call these and then draw and explain.
"""
