# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""_kernel.pyx compiled for x86-64 CPUs with BMI1, BMI2 and LZCNT (Intel since 2013, AMD since 2015).

Every codeword takes a leading-zero count and three variable shifts: with LZCNT and SHLX/SHRX they are single
instructions that leave the CL register alone: photos decode 11-13 % faster, desktops 5 %
(`bench_quic.py --kernel both`). Python
wheels must run on any x86-64, so this is a second module, chosen at import by `_kernel.BMI2_CPU`. Built by
GCC for x86-64 only: elsewhere it is the same code as _kernel and never imported.
"""

cdef extern from *:
    """
    #if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    #pragma GCC target("bmi,bmi2,lzcnt")
    #endif
    """

include "_kernel.pyx"
