"""What one evaluation gives: the Result, its proofs, explanations and why-nots, as data.

Also the CDS Hooks card data of a result. Imports `runtime`, `content` and `errors`.
"""
