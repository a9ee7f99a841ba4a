"""Hessian-free on the autoencoder: compiled newtonlab against the same computation in NumPy.

Two parts, one process, one run (every ratio below is measured in that run):

1. Curvature products, gradients and values per second on ``problems.get("autoencoder")``
   (64-32-16-6-16-32-64, 200 images, n = 5478) and on a larger instance of the same factory
   (16 x 16 images, Martens' depth at 1/3 of his width: 256-133-67-33-17-8-6 and its mirror,
   1000 images, n = 92608): the problem's jitted ``ggnp`` (Gauss-Newton product J^T H_L J v),
   ``hessp`` (Pearlmutter's R-operator), ``jac`` and ``fun`` against NumPy versions written
   here, vectorised over the batch (each layer one matrix product through BLAS).  The NumPy
   functions are checked against the compiled ones (relative error <= 1e-10) before any
   timing.
2. Hessian-free iterations: ``nl.minimize(..., method="hessian-free", hessp=p.ggnp)`` with
   ``maxiter=1`` and ``maxiter=10`` against the same algorithm written with NumPy
   (:func:`np_hessian_free`: damped CG on (G + lambda I) p = -g with the same stopping tests,
   warm starts, Levenberg-Marquardt damping and Armijo search), using the NumPy GGN product.
   Before timing, the NumPy run must take the same CG iterations per step as the newtonlab
   trace reports (column ``cg_iters``), the same evaluation counts and end at the same point.
   The 10-iteration run ends on ``maxiter`` with f still falling, which makes ``minimize``
   run its unbounded-below probe (``newtonlab/_unbounded.py``): it is timed as called and
   with the probe skipped (:class:`no_probe`).

Times: the median over samples of the thread CPU time (``time.thread_time``) per call, the
wall-clock median alongside (the machine may be shared); samples of the two sides
alternate.  BLAS is pinned to one thread (set below, before numpy is imported), and the
compiled code runs on one thread, so both sides use one core.  Compile time is the first
call, reported apart from the solve times (``--cold``: an empty temporary
``NUMBA_CACHE_DIR``, so the first call compiles; without it the first call may only load the
cache).  ratio = t_numpy / t_newtonlab (above 1: the compiled code is faster).

    python benchmarks/bench_hf.py [--cold] [--budget 1.5] [--no-large]
                                  [--out benchmarks/results_hf.md]
"""
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("NEWTONLAB_AUTO_COMPILE_AFTER", "0")  # compiled loops only
if "--cold" in sys.argv:      # before numba is imported: an empty cache, the first call compiles
    import atexit
    import shutil
    import tempfile
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_hf_cache_")
    atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], ignore_errors=True)

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

T_START = time.perf_counter()
LOAD_START = os.getloadavg()[0]
HERE = os.path.dirname(os.path.abspath(__file__))

import newtonlab as nl  # noqa: E402
from newtonlab import problems  # noqa: E402
from newtonlab.problems.ml._data import unpack_spec  # noqa: E402
from newtonlab.problems.ml.autoencoder import autoencoder  # noqa: E402

LARGE = dict(n_samples=1000, size=16, hidden=(133, 67, 33, 17, 8, 6))


# ------------------------------------------------------------------ NumPy network
class NumpyNet:
    """f, its gradient, the GGN product and the exact Hessian product of the network
    problems (``args = (X, y)``, the layout of ``newtonlab/problems/ml/_nn.py``), in
    vectorised NumPy: each layer is one matrix product over the whole batch."""

    def __init__(self, X, y):
        s = unpack_spec(y)
        if s["loss"] != "bernoulli" or not s["bias"]:
            raise ValueError("written for the autoencoder: Bernoulli loss, biases")
        self.widths = s["widths"]
        self.acts = s["acts"]                                  # hidden layers 1..L-1
        self.lam = s["lam"]
        self.L = len(self.widths) - 1
        self.N = X.shape[0]
        self.A0 = np.ascontiguousarray(X[:, :self.widths[0]])
        t0 = s["t0"]
        self.T = np.ascontiguousarray(X[:, t0:t0 + self.widths[-1]])
        self.n = sum(a * b + b for a, b in zip(self.widths[:-1], self.widths[1:]))

    def unflat(self, x):
        """[(W_l, b_l)] views of x: W_l (n_l, n_{l+1}) row-major, then b_l."""
        out, o = [], 0
        for a, b in zip(self.widths[:-1], self.widths[1:]):
            out.append((x[o:o + a * b].reshape(a, b), x[o + a * b:o + a * b + b]))
            o += a * b + b
        return out

    @staticmethod
    def phi(Z, act):
        if act == "logistic":
            return expit(Z)
        if act == "tanh":
            return np.tanh(Z)
        return Z

    @staticmethod
    def dphi(A, act):
        """phi'(z) from a = phi(z) (None: identity)."""
        if act == "logistic":
            return A * (1.0 - A)
        if act == "tanh":
            return 1.0 - A * A
        return None

    @staticmethod
    def d2phi(A, act):
        if act == "logistic":
            return A * (1.0 - A) * (1.0 - 2.0 * A)
        if act == "tanh":
            return -2.0 * A * (1.0 - A * A)
        return None

    def forward(self, x):
        """[A_0, ..., A_{L-1}], the output logits Z_L."""
        Ws = self.unflat(x)
        As = [self.A0]
        for l in range(self.L - 1):
            W, b = Ws[l]
            As.append(self.phi(As[l] @ W + b, self.acts[l]))
        W, b = Ws[-1]
        return Ws, As, As[-1] @ W + b

    def _penalty(self, Ws):
        return 0.5 * self.lam * sum(float(np.vdot(W, W)) for W, _ in Ws)

    def fun(self, x):
        Ws, _, Z = self.forward(x)
        f = np.logaddexp(0.0, Z).sum() - np.vdot(self.T, Z)
        return f / self.N + self._penalty(Ws)

    def _backward(self, Ws, As, D, out, V=None):
        """out[W_l] = A_l^T D_l (+ lam V_l), out[b_l] = sum D_l, back through the layers."""
        outs = self.unflat(out)
        for l in range(self.L - 1, -1, -1):
            W, _ = Ws[l]
            gW, gb = outs[l]
            np.matmul(As[l].T, D, out=gW)
            gW += self.lam * (W if V is None else V[l][0])
            np.sum(D, axis=0, out=gb)
            if l > 0:
                D = D @ W.T
                d1 = self.dphi(As[l], self.acts[l - 1])
                if d1 is not None:
                    D *= d1
        return out

    def jac(self, x):
        Ws, As, Z = self.forward(x)
        D = (expit(Z) - self.T) / self.N
        return self._backward(Ws, As, D, np.empty(self.n))

    def fg(self, x):
        Ws, As, Z = self.forward(x)
        S = expit(Z)
        f = (np.logaddexp(0.0, Z).sum() - np.vdot(self.T, Z)) / self.N + self._penalty(Ws)
        return f, self._backward(Ws, As, (S - self.T) / self.N, np.empty(self.n))

    def _rforward(self, Ws, As, Vs):
        """R{Z_l} for l = 1..L (pre-activations), R{A_0} = 0; index l-1 holds R{Z_l}."""
        RZs = []
        RA = None
        for l in range(self.L):
            W, _ = Ws[l]
            V, c = Vs[l]
            RZ = As[l] @ V + c
            if RA is not None:
                RZ += RA @ W
            RZs.append(RZ)
            if l < self.L - 1:
                d1 = self.dphi(As[l + 1], self.acts[l])
                RA = RZ * d1 if d1 is not None else RZ
        return RZs

    def ggnp(self, x, v):
        """(J^T H_L J + lam I_W) v: forward pass, R-forward pass (J v), the output loss's
        Hessian (diagonal s(1 - s) for Bernoulli on logits), backward pass."""
        Ws, As, Z = self.forward(x)
        Vs = self.unflat(v)
        RZ = self._rforward(Ws, As, Vs)[-1]
        S = expit(Z)
        RD = S * (1.0 - S) * RZ / self.N
        return self._backward(Ws, As, RD, np.empty(self.n), V=Vs)

    def hessp(self, x, v):
        """Exact H v, Pearlmutter's R-operator: R-forward, then the backward pass
        differentiated along v."""
        Ws, As, Z = self.forward(x)
        Vs = self.unflat(v)
        RZs = self._rforward(Ws, As, Vs)
        S = expit(Z)
        D = (S - self.T) / self.N
        RD = S * (1.0 - S) * RZs[-1] / self.N
        out = np.empty(self.n)
        outs = self.unflat(out)
        for l in range(self.L - 1, -1, -1):
            W, _ = Ws[l]
            V, _ = Vs[l]
            gW, gb = outs[l]
            np.matmul(As[l].T, RD, out=gW)            # A_l^T R{D_l}
            gW += self.lam * V
            np.sum(RD, axis=0, out=gb)
            if l > 0:
                act = self.acts[l - 1]
                d1 = self.dphi(As[l], act)
                RA = RZs[l - 1] * d1 if d1 is not None else RZs[l - 1]
                gW += RA.T @ D                          # + R{A_l}^T D_l
                E = D @ W.T
                RE = RD @ W.T + D @ V.T
                if d1 is not None:
                    RD = RE * d1 + E * self.d2phi(As[l], act) * RZs[l - 1]
                    D = E * d1
                else:
                    RD, D = RE, E
        return out


# ------------------------------------------------------------- NumPy Hessian-free
def _np_cg(g, lam, Gv, z0, tol, maxit, meps):
    """Damped CG on (G + lam I) z = -g as tcg.py (DAMPED mode, M = I): warm start z0
    (dropped when phi(z0) >= 0), residual test, negative curvature, Martens' progress test,
    iteration limit.  Returns (z, phi(z), iterations, products)."""
    hist = np.zeros(maxit + 1)
    nprod = 0
    warmed = False
    if z0 is not None:
        r = Gv(z0) + lam * z0 + g
        nprod += 1
        phi = 0.5 * (z0 @ (r + g))
        if phi < 0.0:
            z, warmed = z0, True
    if not warmed:
        z, r, phi = np.zeros_like(g), g.copy(), 0.0
    d = -r
    rr = r @ r
    hist[0] = phi
    it = 0
    if math.sqrt(rr) <= tol:
        return z, phi, it, nprod
    while True:
        Ad = Gv(d) + lam * d
        nprod += 1
        dad = d @ Ad
        if not dad > 0.0:                       # cannot happen with G >= 0, kept for parity
            if it == 0 and not warmed:
                z, phi = -g, -rr + 0.5 * dad
            return z, phi, it, nprod
        alpha = rr / dad
        z = z + alpha * d
        r = r + alpha * Ad
        rr_new = r @ r
        phi = 0.5 * (z @ (r + g))
        it += 1
        hist[it] = phi
        if math.sqrt(rr_new) <= tol:
            return z, phi, it, nprod
        k = max(10, int(0.1 * it))
        if it > k and phi < 0.0 and (phi - hist[it - k]) / phi < k * meps:
            return z, phi, it, nprod
        if it >= maxit:
            return z, phi, it, nprod
        d = -r + (rr_new / rr) * d
        rr = rr_new


def _armijo_next(alpha, phi, phi0, dphi0, prev):
    """linesearch.ARMIJO: quadratic, then cubic interpolation, safeguarded in [0.1, 0.5] alpha."""
    if not math.isfinite(phi):
        return 0.25 * alpha, None
    if prev is None:
        anew = -dphi0 * alpha * alpha / (2.0 * (phi - phi0 - dphi0 * alpha))
    else:
        ap, phip = prev
        d1 = phi - phi0 - dphi0 * alpha
        d2 = phip - phi0 - dphi0 * ap
        den = alpha * alpha * ap * ap * (alpha - ap)
        ca = (ap * ap * d1 - alpha * alpha * d2) / den
        cb = (-ap ** 3 * d1 + alpha ** 3 * d2) / den
        if ca == 0.0:
            anew = -dphi0 / (2.0 * cb)
        else:
            disc = cb * cb - 3.0 * ca * dphi0
            anew = (-cb + math.sqrt(disc)) / (3.0 * ca) if disc >= 0.0 else math.nan
    if not anew >= 0.1 * alpha:
        anew = 0.1 * alpha if anew < 0.1 * alpha else 0.5 * alpha
    return min(anew, 0.5 * alpha), (alpha, phi)


def np_hessian_free(fun, jac, ggnp, x0, maxiter, damping=1.0, decay=0.95, meps=5e-4,
                    c1=1e-2, maxls=20, gtol=1e-5):
    """Martens' Hessian-free, as ``method="hessian-free"`` with its defaults, in NumPy:
    f and g at x0; per iteration one damped CG solve (warm-started from decay * the last CG
    iterate), f and g at x + p, rho against the undamped GGN model, Levenberg-Marquardt
    damping, Armijo backtracking.  Returns (x, f, per-iteration cg_iters, f values, nfev,
    nhev)."""
    x = x0.copy()
    f, g = fun(x), jac(x)
    nf, nh = 1, 0
    lam = damping
    cgmax = min(20 * x.size, 250)
    pprev = None
    iters, fs = [], [f]
    for _ in range(maxiter):
        if np.abs(g).max() <= gtol:
            break
        gn = math.sqrt(g @ g)
        tol = min(0.5, math.sqrt(gn)) * gn
        warm = pprev is not None and decay > 0.0
        while True:
            z, phi, it, npr = _np_cg(g, lam, lambda v: ggnp(x, v),
                                     decay * pprev if warm else None, tol, cgmax, meps)
            nh += npr
            if g @ z < 0.0:
                break
            if not warm:
                raise RuntimeError("CG step is not a descent direction")
            warm = False
        pprev = z
        iters.append(it)
        pn2 = z @ z
        pred = -(phi - 0.5 * lam * pn2)
        alpha = 1.0
        xt = x + z
        ft, gt = fun(xt), jac(xt)
        nf += 1
        finite = math.isfinite(ft) and bool(np.isfinite(gt).all())
        rho = (f - ft) / pred if finite and pred > 0.0 else -math.inf
        lam_old = lam
        lam = 1.5 * lam if rho < 0.25 else (lam * 2.0 / 3.0 if rho > 0.75 else lam)
        dphi0 = g @ z
        trials, prev, accepted = 1, None, False
        while True:
            if math.isfinite(ft) and ft <= f + c1 * alpha * dphi0 and ft < f:
                accepted = finite
                break
            alpha, prev = _armijo_next(alpha, ft, f, dphi0, prev)
            if trials >= maxls or not alpha > 0.0:
                break
            xt = x + alpha * z
            ft, gt = fun(xt), jac(xt)
            nf += 1
            finite = math.isfinite(ft) and bool(np.isfinite(gt).all())
            trials += 1
        if accepted:
            x, f, g = xt, ft, gt
        else:
            lam = max(lam, 1.5 * lam_old)
        fs.append(f)
    return x, f, iters, fs, nf, nh


# ------------------------------------------------------------------ timing
def _sample(fn, min_s=0.002):
    """One timeit-style sample: back-to-back calls lasting at least min_s; per call
    (thread CPU, wall)."""
    k, c0, w0 = 0, time.thread_time(), time.perf_counter()
    while True:
        fn()
        k += 1
        w = time.perf_counter() - w0
        if w >= min_s:
            return (time.thread_time() - c0) / k, w / k


def pair(fa, fb, budget, min_samples=5):
    """Alternating samples of fa and fb until budget seconds passed (at least min_samples
    each); medians of (cpu, wall) per call for each, and the sample count."""
    fa()
    fb()
    sa, sb = [], []
    t0 = time.perf_counter()
    while len(sa) < min_samples or time.perf_counter() - t0 < budget:
        sa.append(_sample(fa))
        sb.append(_sample(fb))
    med = lambda s: (float(np.median([c for c, _ in s])),  # noqa: E731
                     float(np.median([w for _, w in s])))
    return med(sa), med(sb), len(sa)


def first_call(fn):
    c0, w0 = time.thread_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - w0, time.thread_time() - c0, out


def fmt_t(t):
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1.0:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def relerr(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def revision():
    """The checked-out commit, read from .git without running git."""
    gd = os.path.join(os.path.dirname(HERE), ".git")
    try:
        head = open(os.path.join(gd, "HEAD")).read().strip()
        if not head.startswith("ref: "):
            return head[:7]
        ref = head[5:]
        path = os.path.join(gd, ref)
        if os.path.exists(path):
            return open(path).read().strip()[:7]
        for line in open(os.path.join(gd, "packed-refs")):
            if line.strip().endswith(" " + ref):
                return line[:7]
    except OSError:
        pass
    return "unknown"


def machine_facts():
    import numba
    import scipy
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:   # GNU nproc honours OMP_NUM_THREADS, which this script sets to 1
        env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, env=env).stdout.strip()
    except OSError:
        nproc = str(os.cpu_count())
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name')} {blas.get('version')}"
    except Exception:      # noqa: BLE001  (older numpy)
        blas = "unknown"
    return {"nproc": nproc, "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
            "newtonlab": f"{nl.__version__} ({revision()})", "numpy BLAS": blas,
            "blas threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "platform": platform.platform()}


# ------------------------------------------------------------------ the benchmark
def check(p, net):
    """NumPy against the compiled functions at x0 and a random point, random v."""
    rng = np.random.default_rng(1)
    errs = {}
    for x in (p.x0, p.x0 + 0.1 * rng.standard_normal(p.n)):
        v = rng.standard_normal(p.n)
        for name, a, b in (("fun", net.fun(x), p.fun(x, *p.args)),
                           ("jac", net.jac(x), p.jac(x, *p.args)),
                           ("ggnp", net.ggnp(x, v), p.ggnp(x, v, *p.args)),
                           ("hessp", net.hessp(x, v), p.hessp(x, v, *p.args))):
            e = relerr(np.atleast_1d(a), np.atleast_1d(b))
            errs[name] = max(errs.get(name, 0.0), e)
    bad = {k: e for k, e in errs.items() if not e <= 1e-10}
    if bad:
        raise SystemExit(f"NumPy functions disagree with the compiled ones: {bad}")
    return errs


def products(label, p, net, budget, lines, compile_rows):
    x = p.x0
    v = np.random.default_rng(2).standard_normal(p.n)
    X, y = p.args
    cases = [("GGN product (ggnp)", lambda: p.ggnp(x, v, X, y), lambda: net.ggnp(x, v)),
             ("Hessian-vector product (hessp)", lambda: p.hessp(x, v, X, y),
              lambda: net.hessp(x, v)),
             ("gradient (jac)", lambda: p.jac(x, X, y), lambda: net.jac(x)),
             ("value (fun)", lambda: p.fun(x, X, y), lambda: net.fun(x))]
    for name, fa, _ in cases:          # first calls: compile (or cache load), reported apart
        if compile_rows is not None:
            w, c, _ = first_call(fa)
            compile_rows.append((f"`p.{name.split('(')[1][:-1]}`", w, c))
    errs = check(p, net)
    lines += [f"### {label}", "",
              "NumPy vs compiled at x0 and at a perturbed point (max relative error): "
              + ", ".join(f"{k} {e:.1e}" for k, e in errs.items()) + ".", "",
              "| evaluation | newtonlab per call (CPU) | NumPy per call (CPU) | newtonlab / s | "
              "NumPy / s | ratio (CPU) | ratio (wall) | samples |",
              "|---|---|---|---|---|---|---|---|"]
    out = {}
    for name, fa, fb in cases:
        (ca, wa), (cb, wb), k = pair(fa, fb, budget)
        out[name] = (ca, cb)
        lines.append(f"| {name} | {fmt_t(ca)} | {fmt_t(cb)} | {1 / ca:,.0f} | {1 / cb:,.0f} | "
                     f"{cb / ca:.2f}x | {wb / wa:.2f}x | {k} |")
        print(lines[-1], flush=True)
    ab = [a_ * b_ for a_, b_ in zip(net.widths[:-1], net.widths[1:])]
    flop = 2.0 * net.N * (3 * sum(ab) + 2 * sum(ab[1:]))
    ca, cb = out["GGN product (ggnp)"]
    lines += ["", f"Matrix-product work of one GGN product (forward, R-forward, backward; "
              f"elementwise work not counted): {flop / 1e6:.1f} MFLOP, i.e. newtonlab "
              f"{flop / ca / 1e9:.1f} GFLOP/s, NumPy {flop / cb / 1e9:.1f} GFLOP/s."]
    lines.append("")
    return out


class no_probe:
    """Within the block, ``minimize`` skips its unbounded-below probe (``newtonlab/_unbounded.py``:
    after a ``maxiter`` stop with f still falling, an L-BFGS run of up to 50 iterations from
    the end point).  No option turns it off; this swaps ``newtonlab._run.probe``, which
    ``run_method`` looks up at call time, for the identity, and restores it."""

    def __enter__(self):
        import newtonlab._run as R
        self.R, self.saved = R, R.probe
        R.probe = lambda res, obj, run: res
        return self

    def __exit__(self, *exc):
        self.R.probe = self.saved


def hf_case(label, p, net, maxiters, budget, lines, compile_rows, per_eval):
    """One and several HF iterations both ways, after checking they compute the same."""
    def nl_run(m, probe=True):
        if probe:
            return nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, hessp=p.ggnp,
                               method="hessian-free", options={"maxiter": m})
        with no_probe():
            return nl_run(m)
    np_run = lambda m: np_hessian_free(net.fun, net.jac, net.ggnp, p.x0, m)  # noqa: E731
    if compile_rows is not None:
        w, c, _ = first_call(lambda: nl_run(1))
        compile_rows.append(("`nl.minimize(..., method=\"hessian-free\")`, first call "
                             "(after the products)", w, c))
    lines += [f"### {label}", "",
              "| run | newtonlab (CPU) | NumPy (CPU) | ratio (CPU) | ratio (wall) | "
              "per HF iteration: newtonlab / NumPy | CG iterations | nfev / njev / nhev | "
              "samples |", "|---|---|---|---|---|---|---|---|---|"]
    res = {}
    notes = []
    for m in maxiters:
        r = nl_run(m)
        xn, fn, its, fs, nf, nh = np_run(m)
        cg = [int(c) for c in r.trace["cg_iters"][1:]]
        same = (cg == its and nf == r.nfev and nh == r.nhev
                and relerr(np.array(fs), np.asarray(r.trace["f"])) <= 1e-8
                and relerr(xn, r.x) <= 1e-6)
        if not same:
            raise SystemExit(f"{label}, maxiter={m}: NumPy HF differs: cg {its} vs {cg}, "
                             f"nfev {nf} vs {r.nfev}, nhev {nh} vs {r.nhev}, x rel err "
                             f"{relerr(xn, r.x):.1e}, f {fs[-1]} vs {r.fun}")
        probed = int(r.get("unbounded_probe", 0))
        variants = [(True, f"maxiter={m}" + (f", as called (includes the unbounded-below "
                                             f"probe: {probed} more f/g evaluations)"
                                             if probed else ""))]
        if probed:
            variants.append((False, f"maxiter={m}, probe skipped (`no_probe`)"))
        for probe, name in variants:
            (ca, wa), (cb, wb), k = pair(lambda: nl_run(m, probe), lambda: np_run(m), budget,
                                         min_samples=5 if m == 1 else 3)
            res[m, probe] = (ca, cb, r, relerr(xn, r.x))
            lines.append(f"| {name} | {fmt_t(ca)} | {fmt_t(cb)} | {cb / ca:.2f}x | "
                         f"{wb / wa:.2f}x | {fmt_t(ca / r.nit)} / {fmt_t(cb / r.nit)} | "
                         f"{'+'.join(map(str, cg))} = {sum(cg)} | {r.nfev} / {r.njev} / "
                         f"{r.nhev} | {k} |")
            print(lines[-1], flush=True)
        if probed:
            loop = float(r.trace["time"][-1])
            notes.append(f"maxiter={m}: the run stops on `maxiter` with f still falling, so "
                         f"`minimize` then runs its unbounded-below probe (`newtonlab/"
                         f"_unbounded.py`, an L-BFGS run, {probed} evaluations, "
                         f"reported as `res.unbounded_probe`). The NumPy loop has no such "
                         f"probe; the row \"probe skipped\" times the HF run alone. The "
                         f"trace's own clock puts the {m} HF iterations of the checked run at "
                         f"{fmt_t(loop)} (wall, evaluation at x0 included).")
    # per CG iteration in the one-iteration run: the solve less its f and g evaluations
    ca, cb, r, xe = res[1, True]
    ev_a = r.nfev * (per_eval["value (fun)"][0] + per_eval["gradient (jac)"][0])
    ev_b = r.nfev * (per_eval["value (fun)"][1] + per_eval["gradient (jac)"][1])
    its = int(r.trace["cg_iters"][1])
    cga, cgb = (ca - ev_a) / r.nhev, (cb - ev_b) / r.nhev
    gg = per_eval["GGN product (ggnp)"]
    # the NumPy CG solve alone, timed directly (x0, g(x0), lambda_0 = 1, cold start)
    g0 = net.jac(p.x0)
    gn = float(np.sqrt(g0 @ g0))
    solve = lambda: _np_cg(g0, 1.0, lambda v: net.ggnp(p.x0, v), None,  # noqa: E731
                           min(0.5, math.sqrt(gn)) * gn, min(20 * p.n, 250), 5e-4)
    assert solve()[2] == its
    cg_alone = float(np.median([_sample(solve, 0.02)[0] for _ in range(7)]))
    rest = lambda t: fmt_t(t) if t > 0 else "below the timing noise"  # noqa: E731
    lines += [""] + [n + "\n" for n in notes] + [
        f"One iteration (maxiter=1): {its} CG iterations ({r.nhev} GGN products), "
        f"{r.nfev} evaluations of f and of g (x0 and x0 + p); the NumPy end point matches "
        f"newtonlab's to a relative {xe:.1e}. Per CG iteration (the iteration's CPU time "
        f"less its {r.nfev} f and {r.njev} g evaluations at the per-call costs above, "
        f"divided by the products): newtonlab {fmt_t(cga)}, NumPy {fmt_t(cgb)} "
        f"(ratio {cgb / cga:.2f}x); one GGN product alone: {fmt_t(gg[0])} / "
        f"{fmt_t(gg[1])}. The NumPy CG solve timed alone: {fmt_t(cg_alone)}, "
        f"{fmt_t(cg_alone / its)} per CG iteration. Left for the driver (objective "
        f"set-up, CG vector updates, line search, trace, result): newtonlab "
        f"{rest(ca - ev_a - r.nhev * gg[0])}, NumPy {rest(cb - ev_b - r.nhev * gg[1])}.", ""]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold", action="store_true",
                    help="empty temporary NUMBA_CACHE_DIR: the first calls compile")
    ap.add_argument("--budget", type=float, default=1.5,
                    help="seconds of alternating samples per comparison (default instance)")
    ap.add_argument("--no-large", action="store_true", help="skip the larger instance")
    ap.add_argument("--out", default=None, help="write the markdown report here")
    a = ap.parse_args()

    compile_rows = []
    lines = []
    p = problems.get("autoencoder")
    net = NumpyNet(*p.args)
    print(f"autoencoder: n = {p.n}, widths {net.widths}, N = {net.N}", flush=True)
    per = products(f"Default instance: `problems.get(\"autoencoder\")`, widths "
                   f"{'-'.join(map(str, net.widths))}, {net.N} images, n = {p.n}",
                   p, net, a.budget, lines, compile_rows)
    hf_lines = []
    hf_case(f"Default instance (n = {p.n})", p, net, (1, 10), 2 * a.budget, hf_lines,
            compile_rows, per)
    if not a.no_large:
        q = autoencoder(**LARGE)
        qnet = NumpyNet(*q.args)
        print(f"large: n = {q.n}, widths {qnet.widths}, N = {qnet.N}", flush=True)
        qper = products(f"Larger instance: `autoencoder(n_samples={LARGE['n_samples']}, "
                        f"size={LARGE['size']}, hidden={LARGE['hidden']})`, widths "
                        f"{'-'.join(map(str, qnet.widths))}, {qnet.N} images, n = {q.n}",
                        q, qnet, a.budget, lines, None)
        hf_case(f"Larger instance (n = {q.n})", q, qnet, (1,), a.budget, hf_lines, None, qper)

    facts = machine_facts()
    facts["NUMBA_CACHE_DIR"] = ("empty temporary directory (--cold)" if a.cold
                                else os.environ.get("NUMBA_CACHE_DIR", "(numba default)"))
    facts["load average (1 min) at start / end"] = f"{LOAD_START:.2f} / {os.getloadavg()[0]:.2f}"
    facts["benchmark wall time"] = f"{time.perf_counter() - T_START:.0f} s"
    doc = ["# Hessian-free on the autoencoder: newtonlab vs the same computation in NumPy", "",
           f"Generated by `python benchmarks/bench_hf.py{' --cold' if a.cold else ''}` "
           f"({time.strftime('%Y-%m-%d')}); one run, so every ratio compares numbers measured "
           "together. Times are medians of the thread CPU time per call over alternating "
           "samples (wall-clock ratios alongside); ratio = t_NumPy / t_newtonlab (above 1: "
           "the compiled code is faster). BLAS pinned to one thread; the compiled code runs on "
           "one thread too.", "", "## Machine", "", "| fact | value |", "|---|---|"]
    doc += [f"| {k} | {v} |" for k, v in facts.items()]
    doc += ["", "## Compile time (first calls, reported apart)", "",
            "In call order; with `--cold` each first call compiles into an empty cache, "
            "otherwise it may only load the cache. The NumPy side has no compile step.", "",
            "| first call | wall | CPU |", "|---|---|---|"]
    doc += [f"| {n} | {fmt_t(w)} | {fmt_t(c)} |" for n, w, c in compile_rows]
    doc += ["", "## Products, gradients and values per second", ""] + lines
    doc += ["## Hessian-free iterations", "",
            "`nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, hessp=p.ggnp, "
            "method=\"hessian-free\", options={\"maxiter\": m})` (warm: its first call is in "
            "the compile table) against `np_hessian_free` in this script with the NumPy GGN "
            "product; both take the same CG iterations per step (checked against the trace "
            "column `cg_iters`), the same evaluations and reach the same point. \"per HF "
            "iteration\" = the run's time / its iterations (the evaluation at x0 included).",
            ""] + hf_lines
    text = "\n".join(doc) + "\n"
    if a.out:
        old = ""
        if os.path.exists(a.out):
            old = open(a.out).read()
        keep = old[old.index("<!-- analysis -->"):] if "<!-- analysis -->" in old else ""
        with open(a.out, "w") as fh:
            fh.write(text + ("\n" + keep if keep else ""))
        print(f"wrote {a.out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
