"""Rendering results and explanations: data in, strings out."""

from .result import result_json, result_markdown, result_text
from .tree import explanation_text, why_not_text

__all__ = ["explanation_text", "result_json", "result_markdown", "result_text", "why_not_text"]
