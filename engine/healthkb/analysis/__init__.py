"""What can be proved about a KB for every profile: conflicts, ambiguities, unreachable
rules and conclusions, redundant rules and gaps, each shown by a witness profile."""
