"""The compact-form L-BFGS direction (``methods/_lbfgs_compact.py``, ``direction_form``).

Oracles: the dense inverse BFGS matrix built by the explicit recursion (N&W eq. 6.17)
from the same pairs, and NumPy's S^T Y, Y^T Y.  Nothing here is timed.
"""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import chunks as CH
from newtonlab._engine import kernels as K
from newtonlab.methods import _lbfgs_compact as C
from newtonlab.methods import _lbfgs_variants as LV
from newtonlab.methods import lbfgs as L


def dense_inverse(pairs, gamma, n):
    """H_k from H_k^0 = gamma I by eq. 6.17, oldest pair first."""
    H = gamma * np.eye(n)
    for s, y in pairs:
        rho = 1.0 / (s @ y)
        V = np.eye(n) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return H


def random_pair(rng, n):
    """A pair with s^T y > 0 (y = A s, A positive definite, plus a small perturbation)."""
    s = rng.standard_normal(n)
    d = rng.uniform(0.5, 5.0, n)
    return s, d * s + 0.05 * rng.standard_normal(n) * np.abs(s)


class Memory:
    """The compact kernels driven as the lbfgs components drive them."""

    def __init__(self, m, n):
        (self.S, self.Y, self.SY, self.YY, self.rows, self.acc, self.moved,
         self.coef) = C.workspace_arrays(m, n)
        self.head, self.count, self.pending = -1, 0, False
        self.g_seen = np.zeros(n)
        self.pairs = []
        self.m = m

    def push(self, s, y):
        self.head, self.count = C.push(self.S, self.Y, self.SY, self.YY, self.rows, self.head,
                                       self.count, self.pending, s, y, float(s @ y))
        self.pending = True
        self.pairs = (self.pairs + [(s, y)])[-self.m:]

    def reset(self):
        self.count, self.pending, self.pairs = 0, False, []

    def direction(self, g, gamma):
        p = np.empty_like(g)
        used = C.direction(g, self.g_seen, self.S, self.Y, self.SY, self.YY, self.head,
                           self.count, self.pending, gamma, False, self.rows, self.acc,
                           self.moved, self.coef, p)
        self.pending = False
        assert used == gamma
        return p


def check_direction(mem, rng, n, gamma):
    g = rng.standard_normal(n)
    p = mem.direction(g, gamma)
    ref = -dense_inverse(mem.pairs, gamma, n) @ g
    assert np.allclose(p, ref, rtol=1e-9, atol=1e-10 * np.abs(ref).max())


@pytest.mark.nojit
@pytest.mark.parametrize("m", [1, 3, 5])
def test_direction_matches_dense_inverse_bfgs(m):
    # one block per chunk here (n < BLOCK); test_direction_across_blocks_and_chunks
    # covers block edges at a size the dense oracle cannot
    n = 37
    rng = np.random.default_rng(m)
    mem = Memory(m, n)
    check_direction(mem, rng, n, 0.7)                      # empty memory: -gamma g
    for k in range(2 * m + 3):                             # count < m, full, wrapped
        mem.push(*random_pair(rng, n))
        check_direction(mem, rng, n, 0.3 + 0.1 * k)
    mem.reset()
    check_direction(mem, rng, n, 0.9)
    for k in range(m + 1):                                 # refilled after the reset
        mem.push(*random_pair(rng, n))
        check_direction(mem, rng, n, 1.3)


def test_direction_across_blocks_and_chunks():
    n = 2 * C.BLOCK + 7 * C.NCHUNK + 1                     # partial blocks in every chunk
    rng = np.random.default_rng(7)
    mem = Memory(4, n)
    for k in range(7):
        mem.push(*random_pair(rng, n))
        g = rng.standard_normal(n)
        p = mem.direction(g, 0.5)
        # two-loop recursion (Alg. 7.4) on the same pairs: no n x n oracle at this n
        q = -g.copy()
        alphas = []
        for s, y in reversed(mem.pairs):
            a = (s @ q) / (s @ y)
            alphas.append(a)
            q -= a * y
        q *= 0.5
        for (s, y), a in zip(mem.pairs, reversed(alphas)):
            q += (a - (y @ q) / (s @ y)) * s
        assert np.allclose(p, q, rtol=1e-9, atol=1e-12 * np.abs(q).max())


@pytest.mark.nojit
def test_incremental_products_match_numpy():
    n, m = 53, 4
    rng = np.random.default_rng(3)
    mem = Memory(m, n)
    for k in range(11):
        mem.push(*random_pair(rng, n))
        if k % 3 != 2:          # sometimes two pushes in a row: the eager path (products)
            mem.direction(rng.standard_normal(n), 1.0)
    mem.direction(rng.standard_normal(n), 1.0)
    S = np.array([s for s, _ in mem.pairs])
    Y = np.array([y for _, y in mem.pairs])
    C.chronological(mem.head, mem.count, m + 1, mem.rows)
    r = mem.rows[:mem.count]
    assert np.allclose(mem.SY[np.ix_(r, r)], S @ Y.T, rtol=1e-12, atol=1e-12)
    assert np.allclose(mem.YY[np.ix_(r, r)], Y @ Y.T, rtol=1e-12, atol=1e-12)


def test_gamma_one_after_a_reset_that_followed_a_step():
    n = 20
    rng = np.random.default_rng(5)
    mem = Memory(3, n)
    g = rng.standard_normal(n)
    p = np.empty(n)
    args = (mem.S, mem.Y, mem.SY, mem.YY, mem.head, 0, False)
    tail = (mem.rows, mem.acc, mem.moved, mem.coef, p)
    assert C.direction(g, mem.g_seen, *args, 0.4, True, *tail) == 1.0     # g moved
    assert np.allclose(p, -g)
    assert C.direction(g, mem.g_seen, *args, 0.4, True, *tail) == 0.4     # same g: retry
    assert np.allclose(p, -0.4 * g)


def _quadratic(n=30):
    d = np.logspace(0.0, 2.0, n)
    return (lambda x: 0.5 * np.sum(d * x * x)), (lambda x: d * x), np.ones(n)


CASES = {
    "rosenbrock": lambda: problems.get("rosenbrock"),
    "chained_rosenbrock": lambda: problems.get("chained_rosenbrock", n=100),
}


@pytest.mark.parametrize("linesearch", ["wolfe", "armijo"])
@pytest.mark.parametrize("name", list(CASES) + ["quadratic"])
def test_compact_runs_like_two_loop(name, linesearch):
    # Armijo backtracking lets s^T y <= 0 pairs through to the skip test and fails
    # searches more often: the skip and reset paths of both entries run too
    if name == "quadratic":
        fun, jac, x0 = _quadratic()
        args = ()
    else:
        p = CASES[name]()
        fun, jac, x0, args = p.fun, p.jac, p.x0, p.args
    runs = {form: nl.minimize(fun, x0, args=args, jac=jac, method="lbfgs",
                              options={"direction_form": form, "gtol": 1e-8,
                                       "linesearch": linesearch})
            for form in ("two-loop", "compact")}
    a, b = runs["two-loop"], runs["compact"]
    assert a.success and b.success, (a.message, b.message)
    assert np.allclose(a.x, b.x, rtol=0, atol=1e-8 * max(1.0, np.abs(a.x).max()))
    assert abs(a.nit - b.nit) <= max(3, a.nit // 50)
    assert b.nondescent_resets <= a.nondescent_resets + 2


def test_auto_is_two_loop_below_threshold_and_compact_above():
    from newtonlab import _options
    opts = _options.merge("lbfgs", nl.METHODS["lbfgs"].defaults,
                          nl.METHODS["lbfgs"].choices, {})
    fun, jac, x0 = _quadratic()
    obj = type("Obj", (), {"cost": None})()
    small = L.prepare(dict(opts), obj, x0)
    large = L.prepare(dict(opts), obj, np.zeros(L.COMPACT_MIN_N))
    forced = L.prepare({**opts, "direction_form": "compact"}, obj, x0)
    assert small.solve is L.solve
    assert large.solve is LV.solve_compact and forced.solve is LV.solve_compact


@pytest.mark.nojit
@pytest.mark.parametrize("bad", ["twoloop", "COMPACT", 1, None])
def test_bad_direction_form_raises(bad):
    with pytest.raises(ValueError, match="direction_form"):
        nl.minimize(lambda x: x @ x, np.ones(3), jac=lambda x: 2 * x, method="lbfgs",
                    options={"direction_form": bad})


def test_reset_empties_the_compact_memory():
    rng = np.random.default_rng(11)
    n = 16
    mo = L.Options(m=3, curvature_eps=1e-8)
    x, g = rng.standard_normal(n), rng.standard_normal(n)
    w, st = LV.init_compact(mo, x, g, np.zeros((0, 0)))
    for _ in range(4):
        s, y = random_pair(rng, n)
        st = LV.update_compact(w, st, mo, s, y, s @ y, s @ s, y @ y, 1.0, g)
        p = np.empty(n)
        st, _ = LV.direction_compact(w, st, mo, rng.standard_normal(n), p)
    assert st.count == 3
    st = L.reset(w, st, mo)
    gamma = st.gamma
    p = np.empty(n)
    st, _ = LV.direction_compact(w, st, mo, g, p)    # g moved since the last direction
    assert st.count == 0 and np.array_equal(p, -g) and not st.reset_pending
    s, y = random_pair(rng, n)                      # a new pair after the reset: alone
    st = LV.update_compact(w, st, mo, s, y, s @ y, s @ s, y @ y, 1.0, g)
    g2 = rng.standard_normal(n)
    st, _ = LV.direction_compact(w, st, mo, g2, p)
    ref = -dense_inverse([(s, y)], (s @ y) / (y @ y), n) @ g2
    assert gamma != 1.0 and np.allclose(p, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.nojit
def test_pairs_written_in_place_by_the_loop():
    """The driver's protocol (``ls_driver``'s ``pair``): each new pair is written into the
    rows ``pair_compact`` hands out, then ``update_compact`` stores it without a copy; a
    skipped pair (s^T y <= 0) is overwritten by the next and no stored pair is touched."""
    rng = np.random.default_rng(13)
    n, m = 24, 3
    mo = L.Options(m=m, curvature_eps=1e-8)
    w, st = LV.init_compact(mo, np.zeros(n), np.zeros(n), np.zeros((0, 0)))
    assert w.S.shape == (m + 1, n)
    kept = []
    for k in range(9):
        s, y = random_pair(rng, n)
        if k % 4 == 2:
            y = -y                                          # negative curvature: skipped
        rs, ry = LV.pair_compact(w, st)
        head = st.head
        stored = [w.S[(head - j) % (m + 1)].copy() for j in range(st.count)]
        rs[:] = s
        ry[:] = y
        st = LV.update_compact(w, st, mo, rs, ry, s @ y, s @ s, y @ y, 1.0, s)
        for j, row in enumerate(stored):                    # stored pairs untouched
            assert np.array_equal(w.S[(head - j) % (m + 1)], row)
        if s @ y > 0:
            kept = (kept + [(s, y)])[-m:]
            assert np.array_equal(w.S[st.head], s) and np.array_equal(w.Y[st.head], y)
        g = rng.standard_normal(n)
        p = np.empty(n)
        st, _ = LV.direction_compact(w, st, mo, g, p)
        ref = -dense_inverse(kept, st.gamma, n) @ g
        assert np.allclose(p, ref, rtol=1e-9, atol=1e-11 * np.abs(ref).max())


@pytest.mark.parametrize("form", ["two-loop", "compact"])
def test_trace_step_is_the_step_taken(form):
    """The loop records ||x_k - x_{k-1}||_2 from the s^T s it already has (ls_driver's
    step_norm), not from another pass over p."""
    p = problems.get("chained_rosenbrock", n=40)
    r = nl.minimize(p.fun, p.x0, jac=p.jac, method="lbfgs", options={
        "direction_form": form, "return_all": True, "maxiter": 30})
    xs = np.array(r.allvecs)
    ref = np.sqrt(np.sum(np.diff(xs, axis=0) ** 2, axis=1))
    np.testing.assert_allclose(r.trace["step"][1:], ref, rtol=1e-13)


def test_bounds_ignore_the_compact_form():
    p = problems.get("rosenbrock")
    a = nl.minimize(p.fun, p.x0, jac=p.jac, bounds=[(None, 0.5), (None, None)])
    b = nl.minimize(p.fun, p.x0, jac=p.jac, bounds=[(None, 0.5), (None, None)],
                    options={"direction_form": "compact"})
    assert np.array_equal(a.x, b.x) and a.nit == b.nit


def test_threaded_direction_is_the_serial_one_bit_for_bit():
    """``direction_threads`` runs the same chunks and adds them in the same order."""
    n = 2 * C.BLOCK + 7 * C.NCHUNK + 1
    rng = np.random.default_rng(11)
    serial, threaded = Memory(5, n), Memory(5, n)
    for k in range(8):
        pair = random_pair(rng, n)
        serial.push(*pair)
        threaded.push(*pair)
        g = rng.standard_normal(n)
        p = serial.direction(g, 0.7)
        q = np.empty(n)
        t = threaded
        used = C.direction_threads(g, t.g_seen, t.S, t.Y, t.SY, t.YY, t.head, t.count,
                                   t.pending, 0.7, False, t.rows, t.acc, t.moved, t.coef, q)
        t.pending = False
        assert used == 0.7 and np.array_equal(p, q)
        assert np.array_equal(serial.SY, t.SY) and np.array_equal(serial.YY, t.YY)


def test_parallel_option_same_iterates_own_entry():
    from newtonlab import _options
    fun, jac, x0 = _quadratic()
    opts = _options.merge("lbfgs", nl.METHODS["lbfgs"].defaults,
                          nl.METHODS["lbfgs"].choices, {"parallel": True})
    obj = type("Obj", (), {"cost": None})()
    assert L.prepare(dict(opts), obj, x0).solve is L.solve               # two-loop: unchanged
    assert L.prepare(dict(opts), obj, np.zeros(L.COMPACT_MIN_N)).solve is LV.solve_compact_threads
    kw = dict(jac=jac, method="lbfgs")
    a = nl.minimize(fun, x0, **kw, options={"direction_form": "compact"})
    b = nl.minimize(fun, x0, **kw, options={"direction_form": "compact", "parallel": True})
    assert a.nit == b.nit and a.nfev == b.nfev and np.array_equal(a.x, b.x)


@pytest.mark.nojit
def test_parallel_option_checked_and_refused_by_batch():
    p = problems.get("rosenbrock")
    with pytest.raises(ValueError, match="parallel"):
        nl.minimize(p.fun, p.x0, jac=p.jac, method="lbfgs", options={"parallel": "yes"})
    with pytest.raises(ValueError, match="parallel"):
        nl.minimize_batch(p.fun, np.zeros((2, 2)), jac=p.jac, method="lbfgs",
                          options={"parallel": True})


@pytest.mark.parametrize("n", [1, 7, 2 * C.BLOCK + 3])
def test_the_loop_passes_in_chunks_match_numpy_and_each_other(n):
    """The compact entries' ``trial`` and ``commit`` (line-search loop passes in NCHUNK
    chunks): against NumPy, and threaded = serial bit for bit."""
    rng = np.random.default_rng(n)
    x, p, xn, g, gn = (rng.standard_normal(n) for _ in range(5))
    out, out_t = np.empty(n), np.empty(n)
    CH.trial_point_threads(x, p, 0.3, out_t)
    K.trial_point(x, p, 0.3, out)                          # the serial entries' pass
    np.testing.assert_array_equal(out_t, x + 0.3 * p)
    np.testing.assert_array_equal(out_t, out)
    gn[n // 2] = -7.5                                      # the inf-norm's entry
    s, y, s_t, y_t = (np.empty(n) for _ in range(4))
    sy, ss, yy, gmax = CH.commit(xn, x, gn, g, s, y)
    np.testing.assert_array_equal(s, xn - x)
    np.testing.assert_array_equal(y, gn - g)
    np.testing.assert_allclose([sy, ss, yy], [s @ y, s @ s, y @ y], rtol=1e-12)
    assert gmax == np.abs(gn).max()
    assert CH.commit_threads(xn, x, gn, g, s_t, y_t) == (sy, ss, yy, gmax)
    np.testing.assert_array_equal(s_t, s)
    gn[0] = np.nan                                         # NaN reaches the norm
    assert np.isnan(CH.commit(xn, x, gn, g, s, y)[3])
    assert np.isnan(CH.commit_threads(xn, x, gn, g, s, y)[3])


def test_parallel_entry_compiled_is_the_serial_compact_bit_for_bit():
    """The compiled entries (a jitted objective): ``solve_compact_threads`` against
    ``solve_compact`` on chained Rosenbrock, every iterate's trace row included."""
    p = problems.get("chained_rosenbrock", n=100)
    kw = dict(jac=p.jac, method="lbfgs", options={"direction_form": "compact"})
    a = nl.minimize(p.fun, p.x0, **kw)
    b = nl.minimize(p.fun, p.x0, jac=p.jac, method="lbfgs",
                    options={"direction_form": "compact", "parallel": True})
    assert a.execution == b.execution == "compiled"
    assert a.nit == b.nit and a.nfev == b.nfev and np.array_equal(a.x, b.x)
    for col in ("f", "gnorm", "step", "alpha"):
        np.testing.assert_array_equal(a.trace[col], b.trace[col])
