"""The KB in more than one language: tags, translations, their hedges and checks."""
