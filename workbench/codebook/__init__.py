"""Codebooks: the YAML model and validation (model, yaml_io), Markdown output (markdown) and
merging (merge). See docs/codebook-format.md and docs/merging.md."""
