"""Reading a KB and profiles: safe YAML with places, validated models, sources, checks.

The first stage of the data flow: files in, a validated `KBContent` (or every problem,
located) out. Imports nothing of healthkb but `errors`.
"""
