"""Build the Cython modules: every .pyx file under spiceview/ becomes an extension."""

import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

ROOT = Path(__file__).parent
# MSVC spells optimisation differently and optimises by default.
# No fused multiply-add contraction: stroke geometry must round the same on every CPU.
COMPILE_ARGS = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off"]


def _extensions() -> list[Extension]:
    exts = []
    for pyx in sorted((ROOT / "spiceview").rglob("*.pyx")):
        rel = pyx.relative_to(ROOT)
        module = ".".join(rel.with_suffix("").parts)
        exts.append(Extension(module, [str(rel)], extra_compile_args=COMPILE_ARGS))
    return exts


setup(
    ext_modules=cythonize(
        _extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
