"""What an editor sees while editing a KB file: symbols, hovers, completions, live checks."""
