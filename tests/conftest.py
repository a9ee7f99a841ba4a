"""Test-suite configuration.

``.ci/run`` runs the tests marked ``nojit`` (``pytest -m nojit``, the marker is
declared in pyproject.toml) a second time with ``NUMBA_DISABLE_JIT=1``:
everything interpreted, so coverage tools and debuggers see the engine's
source.  In that run a test module without a ``nojit`` test is not even
imported: its module-level code may compile or use ``.py_func``.

Plain-Python objectives run interpreted here unless a test asks for
``options={"execution": "compiled"}``: ``execution="auto"`` would switch a
method to the compiled loop once a worker has spent a second in its
interpreted runs, so a test's mode would depend on what ran before it in the
same worker.  ``test_bridge.py`` tests that switch itself.
"""
import math
import os

import newtonlab._run


def pytest_configure(config):
    newtonlab._run.AUTO_COMPILE_AFTER = math.inf


def pytest_ignore_collect(collection_path, config):
    if os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0"):
        return None
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        if "nojit" not in collection_path.read_text(encoding="utf-8"):
            return True
    return None
