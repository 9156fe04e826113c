"""Imported first by every benchmark: puts the checkout's root on sys.path, where the lab (spiceview_lab) lives.

The lab is not installed with spiceview, and a script's own folder is all Python adds to the path.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
