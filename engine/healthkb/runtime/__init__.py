"""Running a KB: compiling its rules into durable_rules rulesets, and sessions per evaluation.

Also the plain-Python reference evaluator the engine is checked against. Imports
`content` and `errors` only.
"""
