"""Core: settings (run config, county profiles), paths, table schemas, atomic I/O, quarters,
provenance. The bottom layer: imports nothing else from the package."""
