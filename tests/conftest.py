import sys
from pathlib import Path

# Tests import their small builders module directly.
sys.path.insert(0, str(Path(__file__).parent))
