"""The Numba kernels: ``@njit`` (CPU) and ``@cuda.jit`` (GPU) functions over arrays and typed
bundles, one module a concern. Importing this package imports no Numba: only the constants of the
data layout the kernels share with the Python side live here."""

ESCAPE = 0xFFFF  # in a packed corpus (uint16 ids): the id is the next one of the rare ids
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619  # fastText's n-gram hash: 32-bit FNV-1a
