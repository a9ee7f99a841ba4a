"""Ctrl-C during runs with Python parts: raised as KeyboardInterrupt, never a crash.

numba segfaults when a KeyboardInterrupt is raised inside the Python call it makes to
box a returned NamedTuple (``newtonlab/_interrupts.py``); the interpreted loop gets
such a NamedTuple from a component every iteration.  A child process is sent SIGINT
at random moments of many interpreted and bridged runs, and of interpreted runs of a
jitted objective (``execution="auto"``'s first tier; its timer armed from a callback): it
must survive, and every
interrupt must surface as a KeyboardInterrupt from ``minimize`` (or be absorbed by a run
that ends first).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import newtonlab as nl
from newtonlab import _interrupts


def interrupted_runs(mode, runs, defer):
    """Child: ``runs`` bfgs runs at n = 200 with Python callables, each sent one SIGINT
    a random 0-200 us after a random one of its first 10 of ~30 evaluations (so it lands
    inside the run, at a random place: the user's code, the loop, or numba's); prints the
    outcomes.  ``defer=False`` disables the deferral (to show the crash it prevents)."""
    import random
    import signal
    if not defer:
        _interrupts._active = True          # as if an outer run had installed it: none is
    n = 200
    A = np.random.default_rng(0).standard_normal((n, n))
    A = A @ A.T + n * np.eye(n)
    pid = os.getpid()
    # a kernel timer (SIGALRM) whose handler sends the SIGINT: it fires on time on a busy
    # machine too, where a timer thread might not be scheduled before the run ends
    signal.signal(signal.SIGALRM, lambda *a: os.kill(pid, signal.SIGINT))
    arm = {"at": 0, "calls": 0}

    def f(x):
        arm["calls"] += 1
        if arm["calls"] == arm["at"]:
            signal.setitimer(signal.ITIMER_REAL, random.uniform(1e-6, 2e-4))
        return float(0.5 * x @ A @ x - x.sum())

    def g(x):
        return A @ x - 1.0
    opts = {"execution": mode, "maxiter": 400}
    callback = None
    if mode == "jitted":      # the interpreted loop over a jitted objective ("auto"'s first tier)
        import numba
        f = numba.njit(lambda x: 0.5 * x @ (A @ x) - x.sum())
        g = numba.njit(lambda x: A @ x - 1.0)
        opts["execution"] = "interpreted"

        def callback(xk):     # the jitted functions cannot arm the timer: an iteration's end
            arm["calls"] += 1
            if arm["calls"] == arm["at"]:
                signal.setitimer(signal.ITIMER_REAL, random.uniform(1e-6, 2e-4))
    first = nl.minimize(f, np.zeros(n), jac=g, method="bfgs", options=opts)  # loads kernels
    out = {"interrupted": 0, "finished": 0, "modes": [first.execution]}
    i = 0
    while i < runs:
        arm.update(at=random.randint(1, 10), calls=0)
        try:
            try:
                r = nl.minimize(f, np.zeros(n), jac=g, method="bfgs", options=opts,
                                callback=callback)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except KeyboardInterrupt:
            out["interrupted"] += 1
        else:
            out["finished"] += 1
            out["modes"].append(r.execution)
        i += 1
    out["modes"] = sorted(set(out["modes"]))
    print(json.dumps(out))


def run_child(mode, runs, defer=True):
    return subprocess.run([sys.executable, __file__, mode, str(runs), str(int(defer))],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("mode", ["interpreted", "compiled", "jitted"])
def test_ctrl_c_never_crashes_a_run(mode):
    p = run_child(mode, 150)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["interrupted"] + out["finished"] == 150
    assert out["interrupted"] >= 120            # (the signal is sent inside each run)
    assert out["modes"] == ["interpreted" if mode == "jitted" else mode]


def test_an_interrupt_while_the_handler_is_restored_leaves_nothing_armed(monkeypatch):
    """A Ctrl-C can land inside ``signal.signal`` (its wrapper runs bytecode) while a run
    puts the default handler back: it is raised, and the next run installs the deferral
    again (it once stayed marked active, and later runs went undeferred)."""
    import signal
    real = signal.signal

    def interrupted(signum, handler):
        previous = real(signum, handler)
        if handler is signal.default_int_handler:
            raise KeyboardInterrupt               # after the C-level restore, as a Ctrl-C would
        return previous
    monkeypatch.setattr(signal, "signal", interrupted)
    inside = []
    with pytest.raises(KeyboardInterrupt):
        with _interrupts.deferred_sigint():
            inside.append(signal.getsignal(signal.SIGINT))
    assert inside == [_interrupts._handler] and not _interrupts._active
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.setattr(signal, "signal", real)
    with _interrupts.deferred_sigint():
        assert signal.getsignal(signal.SIGINT) is _interrupts._handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_while_the_handler_is_installed_leaves_nothing_armed(monkeypatch):
    """A Ctrl-C inside ``signal.signal`` before the deferral's handler is in place: it is
    raised, nothing stays armed, and the clean-up makes no second interruptible call."""
    import signal
    real = signal.signal
    calls = []

    def interrupted(signum, handler):
        calls.append(handler)
        if len(calls) == 1:               # before the C-level install: the default handler
            raise KeyboardInterrupt
        return real(signum, handler)
    monkeypatch.setattr(signal, "signal", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with _interrupts.deferred_sigint():
            pass
    assert calls == [_interrupts._handler] and not _interrupts._active
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with _interrupts.deferred_sigint():
        inside = signal.getsignal(signal.SIGINT)
    assert inside is _interrupts._handler


def test_a_users_own_sigint_handler_is_left_alone():
    import signal
    seen = []
    previous = signal.signal(signal.SIGINT, lambda *a: seen.append(1))
    try:
        def f(x):
            if not seen:
                signal.raise_signal(signal.SIGINT)
            return float(np.sum((x - 1.0) ** 2))
        res = nl.minimize(f, np.zeros(3), jac=lambda x: 2.0 * (x - 1.0), method="bfgs",
                          options={"execution": "interpreted"})
        assert res.success and seen == [1]
        assert signal.getsignal(signal.SIGINT) is not _interrupts._handler
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    interrupted_runs(sys.argv[1], int(sys.argv[2]), bool(int(sys.argv[3])))
