"""Stage 4, build: run read and normalize over every file, drop duplicates, apply exclusions and licences,
check each office's expectations and write the DuckDB store."""
