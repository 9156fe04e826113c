"""Run a QUIC test module once per compiled kernel this machine can run.

decode_quic() uses _kernel_bmi2 where the CPU has BMI2 and LZCNT, else _kernel: both builds must decode the
same, and the baseline one is what CPUs without those instructions get, so it is tested here too.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest

from spiceview.codecs import quic
from spiceview.codecs.quic import _kernel  # type: ignore[attr-defined]  # compiled, no stub

# What decode_quic() runs when no test has swapped it.
DEFAULT_DECODER: ModuleType = quic._decoder


def _kernels() -> list[object]:
    baseline = pytest.param("_kernel", id="baseline")
    if not _kernel.BMI2_CPU:
        return [baseline, pytest.param("_kernel_bmi2", id="bmi2", marks=pytest.mark.skip("this CPU lacks BMI2"))]
    return [baseline, pytest.param("_kernel_bmi2", id="bmi2")]


# Module-scoped: hypothesis's tests may not use function-scoped fixtures.
@pytest.fixture(scope="module", autouse=True, params=_kernels())
def quic_kernel(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    module = importlib.import_module(f"spiceview.codecs.quic.{request.param}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(quic, "_decoder", module)
        yield module
