"""The audit trail: the hash-chained log of evaluations, reading it back, replaying it.

Imports `results`, `content` and `errors`; a KB to replay under is passed in.
"""
