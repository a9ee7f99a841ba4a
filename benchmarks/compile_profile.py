"""Where a test run's compile time goes: every numba compile, per test, per process.

A pytest plugin and its report.  As a plugin it listens to numba's ``numba:compile`` events
and appends one line per compile to ``<dir>/compile-<pid>.tsv``: the running test, the
compiled function, its exclusive seconds (without the compiles nested in it: a caller's
compile triggers its callees') and inclusive seconds, and the argument types.  Run from the
repository root, after whatever warm-up the run under study does (CI: ``python -m newtonlab
warmup --problems quadratic``)::

    NEWTONLAB_COMPILE_PROFILE=/tmp/cp PYTHONPATH=benchmarks \\
        python -m pytest -q -p no:cacheprovider -p compile_profile -n auto
    python benchmarks/compile_profile.py /tmp/cp

The report sums the exclusive seconds by test file and by the compiled function's module,
and counts the seconds spent compiling the same function for the same types again: in
another process (pytest-xdist workers share the disk cache, but not a compile in progress)
or in the same one (closures defined per test, overloads typed per caller).
"""
import collections
import glob
import os
import sys
import time

_DIR = os.environ.get("NEWTONLAB_COMPILE_PROFILE")


def _install(directory):
    from numba.core import event

    os.makedirs(directory, exist_ok=True)
    out = open(os.path.join(directory, f"compile-{os.getpid()}.tsv"), "a", buffering=1)
    stack = []                       # [start, seconds of nested compiles] per open compile
    current = ["(outside tests)"]

    class Listener(event.Listener):
        def on_start(self, ev):
            stack.append([time.perf_counter(), 0.0])

        def on_end(self, ev):
            t0, nested = stack.pop()
            total = time.perf_counter() - t0
            if stack:
                stack[-1][1] += total
            data = ev.data or {}
            fn = getattr(data.get("dispatcher"), "py_func", None)
            name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
            args = str(data.get("args")).replace("\t", " ").replace("\n", " ")
            out.write(f"{current[0]}\t{name}\t{total - nested:.4f}\t{total:.4f}\t{args}\n")

    event.register("numba:compile", Listener())
    return current


_CURRENT = _install(_DIR) if _DIR else None


def pytest_runtest_setup(item):
    if _CURRENT is not None:
        _CURRENT[0] = item.nodeid


def report(directory, top=20):
    rows = []                        # (process, test, function, exclusive, args)
    for path in glob.glob(os.path.join(directory, "compile-*.tsv")):
        with open(path) as fh:
            for line in fh:
                test, fn, excl, _, args = line.rstrip("\n").split("\t")
                rows.append((path, test, fn, float(excl), args))
    if not rows:
        sys.exit(f"no compile-*.tsv in {directory}: was NEWTONLAB_COMPILE_PROFILE set?")
    total = sum(r[3] for r in rows)
    print(f"{len(rows)} compiles, {total:.1f} s exclusive, in "
          f"{len({r[0] for r in rows})} processes\n")
    for title, key in (("test file", lambda r: r[1].split("::")[0]),
                       ("compiled function's module", lambda r: r[2].rsplit(".", 1)[0])):
        by = collections.Counter()
        for r in rows:
            by[key(r)] += r[3]
        print(f"| seconds | {title} |\n|---|---|")
        for k, v in by.most_common(top):
            print(f"| {v:.1f} | {k} |")
        print()
    same = collections.defaultdict(list)
    for r in rows:
        same[r[2], r[4]].append(r)
    again_elsewhere = again_here = 0.0
    for group in same.values():
        if len(group) > 1:
            extra = sum(r[3] for r in group) - max(r[3] for r in group)
            if len({r[0] for r in group}) > 1:
                again_elsewhere += extra
            else:
                again_here += extra
    print(f"compiled again for the same types: {again_elsewhere:.1f} s in another process, "
          f"{again_here:.1f} s in the same one")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    report(sys.argv[1])
