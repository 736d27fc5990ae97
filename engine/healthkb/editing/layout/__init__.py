"""`healthkb fmt`: the canonical layout of a KB's YAML files, and which files get it."""
