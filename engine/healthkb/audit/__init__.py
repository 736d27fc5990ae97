"""The audit trail: the hash-chained log of evaluations, reading it back, replaying it.

Imports `results`, `content` and `errors`; a KB to replay under is passed in.
"""

DEFAULT_CHECKPOINT_EVERY = 1000
"""Records a writer appends between two checkpoints unless told otherwise (here, not in
checkpoints.py, so that the command line's options can say it without importing the
log's machinery: docs/performance.md, "Start-up, fourth pass")."""
