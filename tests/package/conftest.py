import sys
from pathlib import Path

# graph_factory (random int8 graphs) and multi_model (several models in one firmware) are the
# engine tests' helpers; the package tests use them too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
