import sys
from pathlib import Path

# graph_factory / engine_runs are test-side helpers importable by every engine test.
sys.path.insert(0, str(Path(__file__).resolve().parent))
