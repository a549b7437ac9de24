import sys
from pathlib import Path

# graph_factory (random int8 graphs) is the engine tests' helper; the package tests use it too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
