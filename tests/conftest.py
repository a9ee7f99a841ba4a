"""Test-suite configuration.

``.ci/run`` runs the tests marked ``nojit`` (``pytest -m nojit``, the marker is
declared in pyproject.toml) a second time with ``NUMBA_DISABLE_JIT=1``:
everything interpreted, so coverage tools and debuggers see the engine's
source.  In that run a test module without a ``nojit`` test is not even
imported: its module-level code may compile or use ``.py_func``.

``execution="auto"`` is not tiered here (``_run.AUTO_COMPILE_AFTER = inf``): a jitted
objective's loop is compiled at once, and plain-Python objectives run interpreted unless a
test asks for ``options={"execution": "compiled"}``.  Tiered, a run's mode would depend on
numba's disk cache and on what ran before it in the same worker (a method switches to the
compiled loop once a worker has spent a second in its interpreted runs).  The unboundedness
probe is the exception: it runs lbfgs compiled where the worker or the disk cache has it,
interpreted otherwise, never compiling it, with the same iterates either way.
``test_bridge.py`` tests the tiers themselves.
"""
import math
import os

# before newtonlab is imported, and inherited by the child processes tests start
os.environ["NEWTONLAB_AUTO_COMPILE_AFTER"] = "inf"

import newtonlab._run  # noqa: E402


def pytest_configure(config):
    newtonlab._run.AUTO_COMPILE_AFTER = math.inf


def pytest_ignore_collect(collection_path, config):
    if os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0"):
        return None
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        if "nojit" not in collection_path.read_text(encoding="utf-8"):
            return True
    return None
