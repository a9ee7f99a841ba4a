"""The documentation stays true: its examples run, its tables match the code.

* Every ```python block of the user guide and the method pages runs, each in a fresh
  namespace (a block whose first line starts with ``# not run`` is skipped: it says why).
* Every option of a documented method is in its page's option table with the registry's
  default; every trace diagnostic is listed; every status message is in the guide.
* The examples in ``newtonlab.plotting``'s docstrings run (doctest).
"""
import doctest
import json
import os
import re

import pytest

import newtonlab as nl
from newtonlab._result import MESSAGES, SUCCESSFUL

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
# every registered method has a page of its own, except the first-order baselines, which share
# methods/first_order.md: a new method's page is checked by being registered
METHOD_PAGES = {name: f"methods/{name}.md" for name, m in nl.METHODS.items()
                if m.family != "firstorder"}
PAGES = ["../README.md", "index.md", "problems.md"] + list(METHOD_PAGES.values())
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)


def read(page):
    with open(os.path.join(DOCS, page), encoding="utf-8") as fh:
        return fh.read()


def blocks():
    for page in PAGES:
        for i, code in enumerate(FENCE.findall(read(page))):
            yield pytest.param(page, code, id=f"{page}#{i}")


@pytest.mark.parametrize("page, code", list(blocks()))
def test_code_block_runs(page, code, tmp_path, monkeypatch):
    if code.lstrip().startswith("# not run"):
        pytest.skip(code.strip().splitlines()[0])
    monkeypatch.chdir(tmp_path)           # examples that write files write them here
    exec(compile(code, f"{page} (python block)", "exec"), {"__name__": "__docs__"})


def test_every_page_has_an_example():
    for page in PAGES:
        assert FENCE.findall(read(page)), f"{page} has no ```python example"


def _doc_default(value):
    """How a default is written in the option tables: Python literals, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


@pytest.mark.parametrize("method", sorted(METHOD_PAGES))
def test_option_tables_match_registry(method):
    text = read(METHOD_PAGES[method])
    rows = dict(re.findall(r"^\| `([a-z_0-9]+)` \| `([^`]*)` \|", text, re.M))
    defaults = nl.METHODS[method].defaults
    missing = sorted(set(defaults) - set(rows))
    assert not missing, f"{METHOD_PAGES[method]}: options not documented: {missing}"
    unknown = sorted(set(rows) - set(defaults))
    assert not unknown, f"{METHOD_PAGES[method]}: documented options that do not exist: {unknown}"
    wrong = {k: (rows[k], _doc_default(v)) for k, v in defaults.items()
             if rows[k] != _doc_default(v)}
    assert not wrong, f"{METHOD_PAGES[method]}: (documented, actual) defaults differ: {wrong}"


@pytest.mark.parametrize("method", sorted(METHOD_PAGES))
def test_trace_diagnostics_documented(method):
    text = read(METHOD_PAGES[method])
    for col in nl.METHODS[method].diagnostics:
        assert re.search(rf"^\| `{col}` \|", text, re.M), \
            f"{METHOD_PAGES[method]}: trace column {col!r} is not in its Trace table"


def test_status_table_matches_messages():
    text = read("index.md")
    rows = {}
    for code, name, ok, msg in re.findall(r"^\| (\d+) \| `([A-Z_0-9]+)` \| (yes|no) \| (.*) \|$",
                                          text, re.M):
        rows[int(code)] = (ok == "yes", msg.replace("\\", ""))
    assert set(rows) == set(MESSAGES), "status codes in docs/index.md differ from MESSAGES"
    for code, message in MESSAGES.items():
        assert rows[code] == (code in SUCCESSFUL, message), f"status {code}"


def test_plotting_docstring_examples():
    import newtonlab.plotting
    result = doctest.testmod(newtonlab.plotting, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("module", ["newtonlab._minimize", "newtonlab._batch", "newtonlab._kinds"])
def test_front_door_docstring_examples(module):
    import importlib
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_figures_go_into_missing_folders(tmp_path, monkeypatch):
    """The docs' `path="docs/img/..."` examples work from any directory: missing parent
    folders are made (they failed outside the repository root)."""
    import numpy as np

    from newtonlab.analysis import plot_spectrum
    monkeypatch.chdir(tmp_path)
    plot_spectrum(np.array([-1.0, 0.5, 2.0]), path="docs/img/spectrum.png")
    assert (tmp_path / "docs" / "img" / "spectrum.png").stat().st_size > 0
