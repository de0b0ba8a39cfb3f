"""The GPU kernels compile for an H200 (``sm_90``) with the real CUDA compiler, without a GPU.

``numba.cuda.compile_ptx`` runs Numba's CUDA pipeline down to NVVM's PTX: the typing of the
kernels' bundles (NamedTuples of arrays and numbers), the ``@njit`` helpers they share with the
CPU kernels compiled for the device, the warp shuffles the simulator replaces by Python. It
needs no driver, only NVVM (and NVRTC, which numba-cuda asks for the architectures it
supports): the CUDA 12 wheels of the ``test`` extra (``cuda-toolkit[nvcc,nvrtc]``). The compile
runs in a subprocess without ``NUMBA_ENABLE_CUDASIM`` (the simulator replaces the compiler and
is chosen when ``numba.cuda`` is imported); the argument types are those of the bundles
``wordvec.core.executors.cuda`` launches with, built on the host. numba-cuda compiles the device
functions a kernel calls for the current device even under ``compile_ptx(cc=...)``, which needs
a driver: the subprocess answers the H200's compute capability for it. Skipped, with the
reason, only where NVVM cannot be loaded.

What it cannot check: the driver's assembly of the PTX (``ptxas``: registers, spills) and the
launch itself; ``tests/test_cuda.py::test_kernels_on_a_real_gpu`` does, on a GPU.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
CC = (9, 0)  # H100 and H200
NO_NVVM = 77  # the subprocess's exit status when NVVM cannot be loaded


def argument_types():
    """The Numba types of ``KERNELS[kind](corpus, weights, tables, opts, launch, scratch,
    stats)`` as ``CudaExecutor`` launches them: its host bundles of a tiny skip-gram objective
    and a round of two jobs (the types do not depend on the sizes)."""
    import numba

    from wordvec.core.executors.cuda import host_bundles, make_scratch, round_launch
    from wordvec.core.objective import make_objective
    from wordvec.core.schedule import Job
    from wordvec.corpus.encoded import EncodedCorpus
    from wordvec.corpus.vocab import keep_thresholds, noise_alias

    v, d = 6, 8
    counts = np.arange(v, 0, -1, dtype=np.int64)
    ids = np.array([0, 5, 4, 3, 0, 1, 2, 2], np.int32)
    bounds = np.array([0, 3, 8], np.int64)
    corpus = EncodedCorpus.from_ids(ids, bounds, len(ids))
    obj = make_objective(
        corpus,
        keep_thresholds(counts, 1e-3),
        noise_alias(counts, 0.75),
        None,
        5,
        True,
        5,
        False,
        True,
        True,
        False,
    )
    weights = (
        np.zeros((v, d), np.float32),
        np.zeros((v, d), np.float32),
        np.zeros((1, d), np.float32),
    )
    corpus_h, weights_h, tables_h = host_bundles(obj, weights)
    launch, tokens = round_launch(
        [Job(0, 0, 1, 0.025, 0.02, 1), Job(1, 1, 2, 0.02, 0.01, 2)], corpus_h.bounds
    )
    scratch = make_scratch(tokens, np.empty)
    stats = np.zeros((launch.sents.shape[0], 3))
    args = (corpus_h, weights_h, tables_h, obj.opts, launch, scratch, stats)
    return tuple(numba.typeof(a) for a in args)


def _compile() -> None:
    """The subprocess: compile both kernels for ``CC``; print {kind: {entries, target,
    seconds}} as JSON, or exit with ``NO_NVVM`` when NVVM cannot be loaded."""
    from numba.core import config

    assert not config.ENABLE_CUDASIM, "the real compiler, not the simulator"
    try:  # NVVM, its libdevice and NVRTC, found where numba-cuda looks (the pip wheels first)
        from numba.cuda.cuda_paths import get_cuda_paths
        from numba.cuda.cudadrv.nvvm import NVVM

        get_cuda_paths()
        NVVM().get_version()
    except (ImportError, OSError, RuntimeError) as e:  # NvvmSupportError is an ImportError
        print(" ".join(f"{type(e).__name__}: {e}".split())[:300], file=sys.stderr)
        sys.exit(NO_NVVM)
    import numba.cuda.dispatcher
    from numba import cuda

    from wordvec.kernels.cuda_train import KERNELS

    # numba-cuda compiles the device functions a kernel calls for the current device's compute
    # capability, even under compile_ptx(cc=...) (CUDADispatcher.compile_device asks
    # get_current_device(), which needs a driver): here the current device is an H200
    numba.cuda.dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=CC)
    sig = argument_types()
    report = {}
    for kind, kernel in KERNELS.items():
        t0 = time.perf_counter()
        ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=CC)
        report[kind] = {
            "seconds": time.perf_counter() - t0,
            "target": re.findall(r"^\.target\s+(\S+)", ptx, re.MULTILINE),
            "entries": re.findall(r"\.entry\s+(\w+)", ptx),
        }
    print(json.dumps(report))


def test_kernels_compile_for_sm_90():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    code = "import test_cuda_compile; test_cuda_compile._compile()"
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    if r.returncode == NO_NVVM:
        pytest.skip(
            "NVVM not found (pip install -e '.[test]' installs it): "
            + r.stderr.strip().splitlines()[-1]
        )
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])
    names = {"sg": "train_sg_ns", "cbow": "train_cbow_ns"}
    assert set(report) == set(names)
    for kind, got in report.items():
        assert got["target"] == ["sm_90"], got["target"]
        assert len(got["entries"]) == 1 and names[kind] in got["entries"][0], got["entries"]
        print(f"{names[kind]}: sm_90 PTX in {got['seconds']:.1f} s")
