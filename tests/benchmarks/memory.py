"""`python -m tests.benchmarks.memory N`: resident memory over N evaluations, as JSON."""

import json
import sys

from .run import memory_checkpoints

print(json.dumps(memory_checkpoints(int(sys.argv[1]))))
