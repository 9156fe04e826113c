"""Build the Cython modules: every .pyx file under spiceview/ becomes an extension.

SPICEVIEW_NO_EXTENSIONS=1 builds without them: only tests/packaging uses it, to list a wheel's files quickly.
"""

import os
import sys
from pathlib import Path

from setuptools import Extension, setup

ROOT = Path(__file__).parent
# MSVC spells optimisation differently and optimises by default.
# No fused multiply-add contraction: stroke geometry must round the same on every CPU.
# No debug information in what is shipped (Python's own flags add -g): a kernel's .so is a quarter of the size.
COMPILE_ARGS = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off", "-g0"]


def _extensions() -> list[Extension]:
    exts = []
    for pyx in sorted((ROOT / "spiceview").rglob("*.pyx")):
        rel = pyx.relative_to(ROOT)
        module = ".".join(rel.with_suffix("").parts)
        exts.append(Extension(module, [str(rel)], extra_compile_args=COMPILE_ARGS))
    return exts


def _cythonized() -> list[Extension]:
    if os.environ.get("SPICEVIEW_NO_EXTENSIONS") == "1":
        return []
    from Cython.Build import cythonize

    return cythonize(
        _extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )


setup(ext_modules=_cythonized())
