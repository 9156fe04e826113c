"""The self-contained bundle's one program: `spiceview`, or `spiceview-do` when started under that name (a link
the build script makes beside it)."""

import os
import sys


def main() -> int:
    name = os.path.basename(sys.argv[0])
    if name.startswith("spiceview-do"):
        from spiceview.scripting.cli import main as run
    else:
        from spiceview.cli import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main())
