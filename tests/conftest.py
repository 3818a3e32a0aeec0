import sys
import pathlib

# Let tests import the oracle module ``reference`` next to them.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
