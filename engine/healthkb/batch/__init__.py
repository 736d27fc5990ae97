"""Many profiles at once: JSON Lines files, process pools, Dask, and the impact of a release.

Streams in bounded memory, answers in input order, a bad line answered in place while
the rest go on, output that only ever holds complete lines so a run can resume. Imports
the layers below it (render, editing, knowledge_base, ...), never `service` or `cli`.
"""
