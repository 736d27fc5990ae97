"""Editors' tools: test cases, coverage, diffs, reviews, releases and JSON Schemas.

Built on a loaded `KnowledgeBase`; imports every stage below it, never `render` or `cli`.
"""
