"""Rendering results and explanations: data in, strings out."""

from ..results.tree_text import explanation_text, why_not_text
from .cds_hooks import result_cds_hooks
from .result import result_json, result_markdown, result_text

__all__ = [
    "explanation_text",
    "result_cds_hooks",
    "result_json",
    "result_markdown",
    "result_text",
    "why_not_text",
]
