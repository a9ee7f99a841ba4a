"""Dauphin et al. (2014), "Identifying and attacking the saddle point problem in
high-dimensional non-convex optimization" (NeurIPS), reproduced at toy scale.

(a) Index vs error (their Fig. 1).  Every critical point that Levenberg-Marquardt on
    grad f = 0 (``nl.find_critical_points``) reaches from many starts of a tiny tanh MLP
    (2 -> 5 -> 3 on 90 spiral points, n = 33 parameters) is classified (``nl.classify``,
    exact dense Hessian); its training loss and classification error are plotted against
    the index alpha = (negative eigenvalues) / n.  The starts are random initialisations
    and the points Adam passes through while training from them (the paper ran Newton's
    method from points on training trajectories too).
    Figures: dauphin_index_error.png (error and loss vs alpha; the sorted spectra of three
    critical points of increasing error).
(b) Escaping a saddle.  Runs start 1e-3 away from a saddle (the origin, a critical point of
    every network here) of three networks: a deep-linear net 6 -> 4 -> 4 (strict saddle, n
    = 40), the MLP of (a) (n = 33) and the default MLP 2 -> 16 -> 16 -> 3 (n = 371, a
    degenerate saddle: H(0) has no negative eigenvalue, only a flat plateau).  Methods:
    saddle-free Newton (dense |H| for the small nets, the matrix-free Krylov variant,
    Dauphin et al.'s Alg. 1, for n = 371 when the library has it), Newton's method as the
    paper means it (unmodified, unit step: a NumPy loop, x <- x - H^+ g), newtonlab's
    practical Newton (modified Cholesky + Armijo; newton-cg for n = 371), and full-batch
    gradient descent and heavy-ball momentum with the best learning rate of a small grid.
    Figure: dauphin_saddle_escape.png (loss, gradient norm and lambda_min per iteration).

Run: ``python experiments/dauphin2014.py [--quick]``; writes experiments/out/dauphin2014/
(PNGs, results.json, report.md) and copies the figures to docs/img/experiments/.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # 2 shared cores: threaded eigh is erratic
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

import newtonlab as nl  # noqa: E402
from newtonlab import problems  # noqa: E402
from newtonlab.analysis import curvature_along_path, lanczos  # noqa: E402
from newtonlab.problems.ml import unpack_spec  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import outdir, parse_args, save_fig, timed, write_json, write_text  # noqa: E402

NAME = "dauphin2014"
SMALL_MLP = dict(n_samples=90, hidden=(5,), n_classes=3, lam=1e-3, seed=0)
KRYLOV = "krylov" in nl.METHODS["saddle-free-newton"].defaults.get("subproblem", "") or \
    "krylov" in nl.METHODS["saddle-free-newton"].choices.get("subproblem", ())
COLORS = {"SFN": "C3", "Newton (unmodified)": "C0", "newtonlab newton": "C9",
          "GD": "C2", "momentum": "C1"}


# ---------------------------------------------------------------- helpers
def train_error(p, x):
    """Classification error (fraction) of the MLP at x: argmax of the logits vs the labels."""
    X, y = p.args
    spec = unpack_spec(y)
    w = spec["widths"]
    A = X[:, :w[0]]
    o = 0
    for layer, (a, b) in enumerate(zip(w[:-1], w[1:])):
        W = x[o:o + a * b].reshape(a, b)
        o += a * b
        Z = A @ W + x[o:o + b]
        o += b
        A = np.tanh(Z) if layer < len(w) - 2 else Z
    return float(np.mean(np.argmax(A, axis=1) != X[:, spec["t0"]].astype(int)))


def lambda_min(p, x, dense):
    """Smallest Hessian eigenvalue at x: dense eigh (small n) or Lanczos on hessp."""
    if dense:
        return float(np.linalg.eigvalsh(p.hess(x, *p.args))[0])
    r = lanczos((p.hessp, x, p.args), k=1, which="SA", tol=1e-6, seed=0)
    return float(r.eigenvalues[0])


# ------------------------------------------------- (a) index vs error of critical points
def index_vs_error(quick):
    p = problems.get("mlp", **SMALL_MLP)
    rng = np.random.default_rng(0)
    n_init = 12 if quick else 40
    checkpoints = (0, 10, 100, 1000) if quick else (0, 3, 10, 30, 100, 300, 1000, 3000)
    sigma = np.resize([0.5, 1.0, 2.0], n_init)[:, None]
    X0 = sigma * rng.standard_normal((n_init, p.n))
    starts = [X0]
    for c in checkpoints[1:]:        # the points Adam passes through from each start
        R = nl.minimize_batch(p.fun, X0, args=p.args, method="adam", jac=p.jac,
                              options={"lr": 0.02, "maxiter": c, "gtol": 1e-14})
        starts.append(R.x)
    S = np.vstack(starts)
    B = 15.0
    bounds = np.column_stack([-B * np.ones(p.n), B * np.ones(p.n)])
    pts = nl.find_critical_points(p.fun, p.jac, p.hess, bounds, starts=S, args=p.args,
                                  maxiter=60 if quick else 100, tol=1e-10)
    # Softmax is invariant under adding one constant to every output bias, so H e = 0 for
    # e = (0, ..., 0, 1, 1, 1) / sqrt(3) at every point: no point is a strict minimum.
    # Classify again on the complement of e (Q: orthonormal basis of e-perp), i.e. modulo
    # that symmetry; the index is the same (e is a null vector).
    K = SMALL_MLP["n_classes"]
    e = np.zeros(p.n)
    e[-K:] = 1.0 / np.sqrt(K)
    Q = np.linalg.qr(np.column_stack([e, np.eye(p.n)[:, :p.n - 1]]))[0][:, 1:]
    rows = []
    for q in pts:
        ev = np.asarray(q.eigenvalues)
        H = p.hess(q.x, *p.args)
        cq = nl.classify(Q.T @ q.x, jac=Q.T @ p.jac(q.x, *p.args), hess=Q.T @ H @ Q,
                         gtol=1e-8)
        rows.append(dict(alpha=q.index / p.n, index=int(q.index), loss=float(q.fun),
                         error=train_error(p, q.x), kind=cq.kind, kind_full_space=q.kind,
                         shift_null=float(np.linalg.norm(H @ e)),
                         n_zero=int(q.classification.n_zero), grad_norm=float(q.grad_norm),
                         lambda_min=float(ev[0]), lambda_max=float(ev[-1]), eigenvalues=ev,
                         x=q.x))
    alpha = np.array([r["alpha"] for r in rows])
    err = np.array([r["error"] for r in rows])
    loss = np.array([r["loss"] for r in rows])
    fit_err = np.polyfit(alpha, err, 1) if len(rows) > 2 else [np.nan, np.nan]
    fit_loss = np.polyfit(alpha, loss, 1) if len(rows) > 2 else [np.nan, np.nan]
    zero = alpha == 0
    summary = dict(
        problem=dict(name="mlp", **SMALL_MLP, n=p.n), n_starts=int(S.shape[0]),
        adam_checkpoints=checkpoints, search=pts.info, n_points=len(rows),
        kinds={k: int(sum(r["kind"] == k for r in rows)) for k in ("minimum", "saddle",
                                                                     "degenerate")},
        kinds_full_space={k: int(sum(r["kind_full_space"] == k for r in rows))
                          for k in ("minimum", "saddle", "degenerate")},
        max_shift_null=float(max(r["shift_null"] for r in rows)),
        n_index0=int(zero.sum()),
        pearson_alpha_error=float(np.corrcoef(alpha, err)[0, 1]) if len(rows) > 2 else None,
        pearson_alpha_loss=float(np.corrcoef(alpha, loss)[0, 1]) if len(rows) > 2 else None,
        spearman_alpha_error=_spearman(alpha, err),
        fit_error=dict(slope=float(fit_err[0]), intercept=float(fit_err[1])),
        fit_loss=dict(slope=float(fit_loss[0]), intercept=float(fit_loss[1])),
        error_index0=dict(min=float(err[zero].min()), max=float(err[zero].max()))
        if zero.any() else None,
        error_saddles=dict(min=float(err[~zero].min()), max=float(err[~zero].max()))
        if (~zero).any() else None,
        loss_index0_max=float(loss[zero].max()) if zero.any() else None,
        loss_saddles_min=float(loss[~zero].min()) if (~zero).any() else None,
        alpha_max=float(alpha.max()),
        error_min_alpha_ge_0p1=float(err[alpha >= 0.1].min()) if (alpha >= 0.1).any() else None,
        alpha_of_lowest_errors=sorted(float(a) for a in alpha[np.argsort(err)[:10]]),
        ln_K=float(np.log(SMALL_MLP["n_classes"])),
    )
    return p, rows, summary


def _spearman(a, b):
    if len(a) < 3:
        return None
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def plot_index_error(p, rows, s, path):
    fig, axes = plt.subplots(1, 3, figsize=(15.5, 4.6))
    style = {"minimum": ("o", "C2", "minimum (modulo softmax shift)"),
             "degenerate": ("s", "C0", "index 0, more flat directions"),
             "saddle": ("^", "C3", "saddle")}
    alpha = np.array([r["alpha"] for r in rows])
    for ax, key, fit, ylab in ((axes[0], "error", s["fit_error"], "training error [%]"),
                               (axes[1], "loss", s["fit_loss"], "training loss (mean CE)")):
        scale = 100.0 if key == "error" else 1.0
        for kind, (m, c, lab) in style.items():
            sel = [r for r in rows if r["kind"] == kind]
            if not sel:
                continue
            ax.scatter([r["alpha"] for r in sel], [scale * r[key] for r in sel], marker=m,
                       color=c, s=26, alpha=0.75, label=f"{lab} ({len(sel)})",
                       edgecolors="none")
        xx = np.linspace(0, max(alpha.max(), 0.05), 50)
        ax.plot(xx, scale * (fit["slope"] * xx + fit["intercept"]), "k--", lw=1,
                label="least-squares line")
        if key == "loss":
            ax.axhline(s["ln_K"], color="0.5", lw=0.8, ls=":")
            ax.text(0.0, s["ln_K"] + 0.01, "ln 3 (uniform prediction)", ha="left",
                    va="bottom", fontsize=8, color="0.35")
        r = s["pearson_alpha_" + key]
        ax.set(xlabel="index $\\alpha$ = fraction of negative Hessian eigenvalues",
               ylabel=ylab,
               title=f"{'error' if key == 'error' else 'loss'} vs index (Pearson r = {r:.2f})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    # sorted spectra of three points of increasing error
    ax = axes[2]
    order = np.argsort([r["loss"] for r in rows])
    pick = [order[0], order[len(order) // 2], order[-1]] if len(order) >= 3 else list(order)
    for j, i in enumerate(pick):
        r = rows[i]
        ev = r["eigenvalues"]
        ax.plot(np.arange(1, ev.size + 1), ev, "o-", ms=3, lw=1, color=("C2", "C1", "C3")[j],
                label=f"error {100 * r['error']:.0f}%, loss {r['loss']:.2f}, "
                      f"$\\alpha$ = {r['alpha']:.2f}")
    ax.axhline(0, color="k", lw=0.7)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set(xlabel="eigenvalue rank", ylabel="Hessian eigenvalue (symlog)",
           title="spectra at three critical points")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"critical points of a {p.n}-parameter tanh MLP (2-5-3, 90 spiral points), "
                 f"found by Levenberg-Marquardt on $\\nabla f = 0$ from {s['n_starts']} starts",
                 fontsize=11)
    fig.tight_layout()
    save_fig(fig, path, docs_name="dauphin_index_error.png")
    plt.close(fig)


# ------------------------------------------------------------- (b) escaping a saddle
def newton_unmodified(p, x0, iters):
    """Newton's method as in the paper's argument: x <- x - H^+ g, unit step, no line
    search, no modification (minimum-norm least squares where H is singular)."""
    xs = [x0.copy()]
    x = x0.copy()
    for _ in range(iters):
        g = p.jac(x, *p.args)
        if not np.all(np.isfinite(g)):
            break
        x = x - np.linalg.lstsq(p.hess(x, *p.args), g, rcond=None)[0]
        xs.append(x.copy())
    xs = np.array(xs)
    return xs, np.array([p.fun(x, *p.args) for x in xs]), \
        np.array([np.max(np.abs(p.jac(x, *p.args))) for x in xs])


def _run(p, method, x0, options, need):
    kw = dict(jac=p.jac, args=p.args, method=method,
              options={"return_all": True, "gtol": 1e-12, **options})
    if need == "hess":
        kw["hess"] = p.hess
    elif need == "hessp":
        kw["hessp"] = p.hessp
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = nl.minimize(p.fun, x0, **kw)
    dt = time.perf_counter() - t0
    return np.array(res.allvecs), np.asarray(res.trace["f"]), np.asarray(res.trace["gnorm"]), \
        res, dt


def _best_lr(p, method, x0, grid, iters, extra):
    """The learning rate of the grid with the lowest final loss among the runs whose loss
    never rose above 1.5 f(x0) (no divergence, no transient blow-up); if none qualifies,
    the lowest final loss."""
    scores = []
    for lr in grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = nl.minimize(p.fun, x0, jac=p.jac, args=p.args, method=method,
                            options={"lr": lr, "maxiter": iters, "gtol": 1e-12, **extra})
        f = np.asarray(r.trace["f"])
        if np.isfinite(r.fun):
            scores.append((bool(np.all(f <= 1.5 * f[0])), float(r.fun), lr))
    stable = [s for s in scores if s[0]] or scores
    return min(stable, key=lambda s: s[1])[2]


def escape_case(key, title, prob, kw, dense, quick):
    p = problems.get(prob, **kw)
    rng = np.random.default_rng(1)
    x_s = np.zeros(p.n)                      # the saddle: the origin
    x0 = x_s + 1e-3 * rng.standard_normal(p.n)
    ev0 = (np.linalg.eigvalsh(p.hess(x_s, *p.args)) if p.n <= 60 else
           lanczos((p.hessp, x_s, p.args), k=2, which="both", tol=1e-8).eigenvalues)
    it1 = 300 if quick else 2000                     # first-order budget
    it2 = 30 if quick else (60 if not dense else 100)   # second-order budget
    runs = {}
    sfn_opts = {"maxiter": it2}
    if not dense:
        sfn_opts["subproblem"] = "krylov" if KRYLOV else "eig"
    sfn_need = "hessp" if sfn_opts.get("subproblem") == "krylov" else "hess"
    X, f, g, res, dt = _run(p, "saddle-free-newton", x0, sfn_opts, sfn_need)
    runs["SFN"] = dict(X=X, f=f, g=g, dt=dt, status=res.message,
                       label="saddle-free Newton" + (
                           f" (Krylov, k = {min(p.n, 20)})" if sfn_need == "hessp" else
                           " (dense $|H|$)"), nhev=int(res.nhev))
    t0 = time.perf_counter()
    X, f, g = newton_unmodified(p, x0, 20 if not dense else 50)
    runs["Newton (unmodified)"] = dict(X=X, f=f, g=g, dt=time.perf_counter() - t0,
                                       label="Newton, unmodified ($x - H^+g$)")
    if dense:
        X, f, g, res, dt = _run(p, "newton", x0, {"maxiter": it2}, "hess")
        lab = "newtonlab newton (mod. Cholesky)"
    else:
        X, f, g, res, dt = _run(p, "newton-cg", x0, {"maxiter": it2}, "hessp")
        lab = "newtonlab newton-cg"
    runs["newtonlab newton"] = dict(X=X, f=f, g=g, dt=dt, status=res.message, label=lab)
    lr_gd = _best_lr(p, "gd", x0, (0.1, 0.3, 1.0, 3.0), it1, {"linesearch": "none"})
    X, f, g, res, dt = _run(p, "gd", x0, {"lr": lr_gd, "linesearch": "none", "maxiter": it1},
                            None)
    runs["GD"] = dict(X=X, f=f, g=g, dt=dt, lr=lr_gd, label=f"GD, lr = {lr_gd:g}")
    lr_m = _best_lr(p, "momentum", x0, (0.01, 0.03, 0.1, 0.3), it1, {"momentum": 0.9})
    X, f, g, res, dt = _run(p, "momentum", x0, {"lr": lr_m, "momentum": 0.9, "maxiter": it1},
                            None)
    runs["momentum"] = dict(X=X, f=f, g=g, dt=dt, lr=lr_m,
                            label=f"momentum 0.9, lr = {lr_m:g}")
    # lambda_min along each path, at up to ~25 (large n) or ~50 log-spaced iterates
    f_best = min(r["f"].min() for r in runs.values())
    f_s = p.fun(x_s, *p.args)
    for r in runs.values():
        m = len(r["X"])
        ks = np.unique(np.concatenate([[0], np.geomspace(1, m - 1, 24 if not dense else 50)
                                       .astype(int)])) if m > 1 else np.array([0])
        if dense:
            c = curvature_along_path(r["X"][ks], hess=p.hess, args=p.args)
            lm = c.lambda_min
        else:
            lm = np.array([lambda_min(p, r["X"][k], False) for k in ks])
        r["lam_k"], r["lam"] = ks, lm
        drop = f_s - r["f"]
        half = np.flatnonzero(drop >= 0.5 * (f_s - f_best))
        r["escape_iter"] = int(half[0]) if half.size else None
    return p, dict(key=key, title=title, n=p.n, f_saddle=float(f_s), f_best=float(f_best),
                   eig_saddle_min=float(ev0[0]), eig_saddle_max=float(ev0[-1]), runs=runs,
                   sfn_variant=sfn_need == "hessp" and "krylov" or "eig")


def plot_escape(cases, path):
    fig, axes = plt.subplots(len(cases), 3, figsize=(15.5, 3.9 * len(cases)), squeeze=False)
    for row, c in zip(axes, cases):
        ax1, ax2, ax3 = row
        for name, r in c["runs"].items():
            k = np.arange(len(r["f"]))
            kw = dict(color=COLORS[name], lw=1.6, label=r["label"])
            ax1.plot(k + 1, r["f"], **kw)
            ax2.plot(k + 1, r["g"], **kw)
            ax3.plot(r["lam_k"] + 1, r["lam"], "o-", ms=2.5, **kw)
        ax1.axhline(c["f_saddle"], color="0.5", ls=":", lw=0.8)
        ax1.set_ylim(0, 1.12 * c["f_saddle"])
        ax1.set(xscale="log", xlabel="iteration + 1", ylabel="training loss",
                title=f"{c['title']}: loss")
        ax2.set(xscale="log", yscale="log", xlabel="iteration + 1",
                ylabel="$\\|\\nabla f\\|_\\infty$", title="gradient norm")
        ax3.axhline(0, color="k", lw=0.7)
        lo = min(min(r["lam"].min() for r in c["runs"].values()), -1e-3)
        ax3.set_yscale("symlog", linthresh=1e-3)
        ax3.set(xscale="log", xlabel="iteration + 1", ylabel="$\\lambda_{\\min}(H)$ (symlog)",
                title="most negative Hessian eigenvalue", ylim=(1.3 * lo, 2.0))
        for a in row:
            a.grid(alpha=0.3)
        ax3.legend(fontsize=7.5, loc="upper right", ncol=2, columnspacing=0.8,
                   handlelength=1.5)
    fig.tight_layout()
    save_fig(fig, path, docs_name="dauphin_saddle_escape.png")
    plt.close(fig)


# ------------------------------------------------------------------------- report
def report(sa, cases, times, quick):
    L = [f"# Dauphin et al. (2014) at toy scale{' (--quick run)' if quick else ''}", "",
         "Figures: `dauphin_index_error.png`, `dauphin_saddle_escape.png`; numbers in "
         "`results.json`.", "", "## (a) Index of critical points vs training error (Fig. 1)",
         "",
         f"Network: tanh MLP 2-5-3 on 90 spiral points, n = {sa['problem']['n']} parameters, "
         f"L2 weight penalty {SMALL_MLP['lam']:g}. {sa['n_starts']} starts (random "
         f"initialisations and points on Adam trajectories) -> {sa['n_points']} distinct "
         f"critical points ({sa['kinds']['saddle']} saddles, {sa['kinds']['minimum']} minima and "
         f"{sa['kinds']['degenerate']} degenerate index-0 points, classified modulo the "
         f"softmax shift symmetry; in the full space every point has that zero eigenvalue, "
         f"max ||H e|| = {sa['max_shift_null']:.1e}, and `classify` calls "
         f"{sa['kinds_full_space']['degenerate']} points degenerate).", "",
         "| quantity | this run | paper (MNIST/CIFAR-10 MLPs) |", "|---|---|---|",
         f"| Pearson r(alpha, training error) | {sa['pearson_alpha_error']:.2f} "
         f"(Spearman {sa['spearman_alpha_error']:.2f}) | strong, close to linear |",
         f"| Pearson r(alpha, training loss) | {sa['pearson_alpha_loss']:.2f} | - |",
         f"| error slope per unit alpha | {100 * sa['fit_error']['slope']:.0f} % | "
         "error rises with alpha |",
         f"| largest index alpha found | {sa['alpha_max']:.2f} | ~0.25 shown |"]
    if sa["error_index0"] and sa["error_saddles"]:
        L += [f"| error at alpha = 0 points | {100 * sa['error_index0']['min']:.0f}-"
              f"{100 * sa['error_index0']['max']:.0f} % | lowest |",
              f"| error at saddles (alpha > 0) | {100 * sa['error_saddles']['min']:.0f}-"
              f"{100 * sa['error_saddles']['max']:.0f} % | higher, growing with alpha |"]
    L += ["", _index_comment(sa), "", "## (b) Escaping a saddle", "",
          "Start: the origin (a critical point of every network here) plus 1e-3 N(0, I). "
          "'escape' = first iteration at which the loss has fallen half-way from f(saddle) to "
          "the best loss any method reached in that case.", "",
          "| network | H at saddle: lambda_min / lambda_max | method | escape iteration | "
          "final loss | final lambda_min | wall [s] |", "|---|---|---|---|---|---|---|"]
    for c in cases:
        for name, r in c["runs"].items():
            e = r["escape_iter"]
            lab = r["label"].replace("$", "").replace("|H|", "abs(H)")
            L.append(f"| {c['title']} (n = {c['n']}) | {c['eig_saddle_min']:.3g} / "
                     f"{c['eig_saddle_max']:.3g} | {lab} | "
                     f"{'never' if e is None else e} (of {len(r['f']) - 1}) | "
                     f"{r['f'][-1]:.4g} | {r['lam'][-1]:.2g} | {r['dt']:.2f} |")
    L += ["", _escape_comment(cases), "", "## Wall times", "",
          ", ".join(f"{k}: {v:.1f} s" for k, v in times.items()), ""]
    return "\n".join(L)


def _index_comment(sa):
    e0, es = sa["error_index0"], sa["error_saddles"]
    return (
        f"Agreement: the error and the loss grow with the index, the lowest error "
        f"({100 * e0['min']:.0f} %) is at index 0, the ten lowest-error points "
        + ("all have index 0" if max(sa["alpha_of_lowest_errors"]) == 0 else
           f"have alpha <= {max(sa['alpha_of_lowest_errors']):.2f}") +
        f", and no point with alpha >= 0.1 has an "
        f"error below {100 * sa['error_min_alpha_ge_0p1']:.0f} %, as in the paper's Fig. 1. "
        f"Differences: (1) the scale: n = 33 instead of thousands of parameters, so alpha "
        f"takes few values (multiples of 1/33) and the large-n statistical-physics argument "
        f"(Bray & Dean) that the paper leans on is only suggestive here; (2) the relation is "
        f"monotone on average but far from a clean line: the index-0 points span "
        f"{100 * e0['min']:.0f}-{100 * e0['max']:.0f} % error (the 33-parameter net cannot "
        f"fit three spirals, so poor local minima exist, which the paper's argument says "
        f"become rare only in high dimension), a few low-index saddles are as good as "
        f"minima (lowest saddle error {100 * es['min']:.0f} %), and the saddles pile up "
        f"near the loss ln 3 of the uniform prediction, which caps the error axis; (3) no "
        f"critical point is a strict minimum in the full space: adding one constant to all "
        f"output biases leaves the softmax unchanged, a zero eigenvalue everywhere; modulo "
        f"that direction index-0 points are minima, except those with more flat directions "
        f"(a hidden unit whose outgoing weights vanish leaves its unpenalised bias flat), "
        f"reported as degenerate. LM finds the points that its starts are attracted to, so "
        f"the counts are not a census of all critical points.")


def _escape_comment(cases):
    first = "; ".join(
        f"{c['title']}: GD {_it(c['runs']['GD'])}, momentum {_it(c['runs']['momentum'])}, "
        f"SFN {_it(c['runs']['SFN'])}" for c in cases)
    return ("Escape iterations: " + first + ". " + _ESCAPE_TEXT)


def _it(r):
    e = r["escape_iter"]
    return f"not within {len(r['f']) - 1}" if e is None else str(e)


_ESCAPE_TEXT = (
    "Agreement with the paper: saddle-free Newton leaves the saddle first or (small MLP) "
    "together with modified Newton, in every case, including the degenerate plateau of the 2-16-16-3 MLP; "
    "unmodified Newton is attracted to the saddle (its loss stays at f(saddle) and its "
    "final lambda_min is negative, or it drifts along the flat directions of the saddle); "
    "gradient descent and momentum leave only after a plateau whose length is set by "
    "lambda_min/lambda_max and the 1e-3 start distance: short for the deep-linear net "
    "(|lambda_min| = lambda_max there), hundreds to thousands of iterations for the MLPs, "
    "whose saddle has |lambda_min| << lambda_max or (2-16-16-3) no negative eigenvalue at "
    "all at the origin, only weak negative curvature nearby. Differences: (1) iterations "
    "are not equal cost: an SFN iteration needs a Hessian (dense, n products) or k = 20 "
    "Hessian-vector products, a GD iteration one gradient; (2) newtonlab's practical "
    "Newton (modified Cholesky + Armijo, or newton-cg) is NOT attracted: the modification "
    "makes every step a descent direction; only the textbook unit-step Newton shows the "
    "attraction; on the small MLP, modified-Cholesky Newton escapes as fast as SFN; (3) "
    "the paper's SGD is mini-batch; here GD and momentum are full-batch and deterministic, "
    "which makes the plateau longer than gradient noise would.")


def main():
    args = parse_args(__doc__)
    quick = args.quick
    out = outdir(NAME)
    times = {}
    t_all = time.perf_counter()
    with timed("(a) critical points", times):
        p, rows, sa = index_vs_error(quick)
        plot_index_error(p, rows, sa, os.path.join(out, "dauphin_index_error.png"))
    print(f"  {sa['n_points']} points {sa['kinds']}, r(alpha, error) = "
          f"{sa['pearson_alpha_error']:.3f}, r(alpha, loss) = {sa['pearson_alpha_loss']:.3f}")
    cases = []
    specs = [("deep_linear", "deep-linear 6-4-4", "deep-linear",
              dict(n_samples=100, n_in=6, hidden=(4,), n_out=4), True),
             ("mlp_small", "MLP 2-5-3", "mlp", SMALL_MLP, True),
             ("mlp_large", "MLP 2-16-16-3", "mlp", dict(hidden=(8, 8)) if quick else {}, False)]
    for key, title, prob, kw, dense in specs:
        with timed(f"(b) {key}", times):
            _, c = escape_case(key, title, prob, kw, dense, quick)
        if quick and key == "mlp_large":
            c["title"] = "MLP 2-8-8-3"
        cases.append(c)
        print("  " + key + ": " + ", ".join(
            f"{n}: escape {r['escape_iter']}, f {r['f'][-1]:.4g}" for n, r in c["runs"].items()))
    plot_escape(cases, os.path.join(out, "dauphin_saddle_escape.png"))
    times["total"] = time.perf_counter() - t_all
    js = dict(
        quick=quick, krylov_available=KRYLOV, times_s=times, index_vs_error=sa,
        critical_points=[{k: v for k, v in r.items() if k not in ("x",)} for r in rows],
        saddle_escape=[dict({k: v for k, v in c.items() if k != "runs"}, runs={
            n: dict(label=r["label"], escape_iter=r["escape_iter"], nit=len(r["f"]) - 1,
                    f_final=float(r["f"][-1]), lambda_min_final=float(r["lam"][-1]),
                    lambda_min_iters=r["lam_k"], lambda_min=r["lam"],
                    f=r["f"][np.unique(np.geomspace(1, len(r["f"]), 60).astype(int)) - 1],
                    wall_s=r["dt"], lr=r.get("lr"), status=r.get("status"),
                    nhev=r.get("nhev"))
            for n, r in c["runs"].items()}) for c in cases])
    write_json(os.path.join(out, "results.json"), js)
    write_text(os.path.join(out, "report.md"), report(sa, cases, times, quick))
    print(f"total {times['total']:.1f} s")


if __name__ == "__main__":
    main()
