"""Li, Xu, Taylor, Studer & Goldstein (2018), "Visualizing the loss landscape of neural
nets" (NeurIPS), on newtonlab's ``mlp`` (2 -> 16 -> 16 -> 3 tanh net on 300 spiral points,
n = 371 parameters).

Three optimizers start from the same Glorot initialisation: Adam (mini-batch 32),
SGD with heavy-ball momentum (mini-batch 32) and L-BFGS (full batch).  Around each end
point theta*:

* 1-D slices f(theta* + t d) along filter-normalised random directions d (five per end
  point, the same five Gaussian draws for every optimizer), and 2-D contour plots of
  f(theta* + a d1 + b d2) on [-1, 1]^2;
* 1-D slices along the extreme Hessian eigenvectors v_max and v_min (thick-restart Lanczos
  on the exact Hessian-vector product, ``newtonlab.analysis.lanczos``), with the quadratic
  model f* + g.v t + lambda t^2 / 2;
* sharpness: lambda_max, lambda_min, |lambda_min| / lambda_max (Li et al.'s measure of
  non-convexity) and the mean rise of the filter-normalised slices at |t| = 0.25, 0.5, next
  to train and test loss/error (test: the same generator with another seed).

Filter normalisation on this parameter vector: x stacks, layer by layer, W_l of shape
(n_l, n_{l+1}) row-major (W_l[i, j] connects unit i of layer l to unit j of layer l+1),
then b_l (``newtonlab/problems/ml/_nn.py``).  Li et al.'s "filter" of a fully connected
layer is the set of weights producing one output neuron: here the COLUMN W_l[:, j] (a row
of the usual (out, in) layout).  Each column of a Gaussian direction is rescaled to the
norm of the same column of theta*; bias entries of d are 0 (their code's
``--xignore biasbn``).

Run: ``python experiments/loss_landscape.py [--quick]``; writes experiments/out/landscape/
(PNGs, results.json, report.md) and copies the figures to docs/img/experiments/.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

import newtonlab as nl  # noqa: E402
from newtonlab import problems  # noqa: E402
from newtonlab.analysis import lanczos  # noqa: E402
from newtonlab.problems import ml  # noqa: E402
from newtonlab.problems.ml import unpack_spec  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import outdir, parse_args, save_fig, timed, write_json, write_text  # noqa: E402

NAME = "landscape"
COLORS = {"Adam": "C0", "SGD-momentum": "C1", "momentum, full batch": "C2", "L-BFGS": "C3"}


# ------------------------------------------------------------------- the network layout
def layers(p):
    """[(W offset, n_in, n_out, b offset or None)] of the parameter vector."""
    spec = unpack_spec(p.args[1])
    w, out, o = spec["widths"], [], 0
    for a, b in zip(w[:-1], w[1:]):
        bo = o + a * b if spec["bias"] else None
        out.append((o, a, b, bo))
        o += a * b + (b if spec["bias"] else 0)
    return out


def filter_normalize(d, theta, lay):
    """Li et al.'s filter normalisation: each neuron's incoming weights (column j of W_l)
    of d scaled to the norm of the same column of theta; biases of d set to 0."""
    d = d.copy()
    for o, a, b, bo in lay:
        D = d[o:o + a * b].reshape(a, b)            # views into d
        T = theta[o:o + a * b].reshape(a, b)
        D *= np.linalg.norm(T, axis=0) / (np.linalg.norm(D, axis=0) + 1e-12)
        if bo is not None:
            d[bo:bo + b] = 0.0
    return d


def error(p, x, args):
    """Classification error of the MLP at x on the data args[0]."""
    X, y = args
    spec = unpack_spec(y)
    A = X[:, :spec["widths"][0]]
    lay = layers(p)
    for k, (o, a, b, bo) in enumerate(lay):
        A = A @ x[o:o + a * b].reshape(a, b) + x[bo:bo + b]
        if k < len(lay) - 1:
            A = np.tanh(A)
    return float(np.mean(np.argmax(A, axis=1) != X[:, spec["t0"]].astype(int)))


# ------------------------------------------------------------------------ training
def train(p, quick):
    fs = ml.finite_sum(p)
    it = 1500 if quick else 6000                    # steps, for every first-order run
    N = p.args[0].shape[0]
    runs = {}
    specs = (("Adam", "adam", 32, {"lr": 1e-2}),
             ("SGD-momentum", "momentum", 32, {"lr": 0.05, "momentum": 0.9}),
             ("momentum, full batch", "momentum", N, {"lr": 0.05, "momentum": 0.9}))
    for name, method, B, opts in specs:
        t0 = time.perf_counter()
        r = nl.minimize(fs, p.x0, args=p.args, method=method,
                        options={"batch_size": B, "seed": 0, "maxiter": it, **opts})
        runs[name] = dict(x=r.x, nit=int(r.nit), wall=time.perf_counter() - t0,
                          setting=f"{method}, batch {B}, "
                                  + ", ".join(f"{k} {v:g}" for k, v in opts.items())
                                  + f", {it} steps ({it * B // N} epochs)")
    t0 = time.perf_counter()
    r = nl.minimize(p.fun, p.x0, jac=p.jac, args=p.args, method="lbfgs",
                    options={"maxiter": 400 if quick else 2000, "gtol": 1e-6})
    runs["L-BFGS"] = dict(x=r.x, nit=int(r.nit), wall=time.perf_counter() - t0,
                          setting=f"lbfgs, full batch, m = 10, {r.nit} iterations "
                                  f"({r.message})")
    return runs


# ----------------------------------------------------------------------- landscape
def slice_1d(p, x, d, ts):
    return np.array([p.fun(x + t * d, *p.args) for t in ts])


def surface_2d(p, x, d1, d2, a):
    F = np.empty((a.size, a.size))
    for i, bi in enumerate(a):
        for j, aj in enumerate(a):
            F[i, j] = p.fun(x + aj * d1 + bi * d2, *p.args)
    return F


PAIRS = (("SGD-momentum", "momentum, full batch"), ("Adam", "L-BFGS"))


def interpolate(p, runs, quick):
    """f((1 - a) theta_A + a theta_B) for a in [-0.5, 1.5] (Goodfellow et al. 2015)."""
    a = np.linspace(-0.5, 1.5, 41 if quick else 101)
    out = {}
    for A, B in PAIRS:
        xa, xb = runs[A]["x"], runs[B]["x"]
        f = np.array([p.fun((1 - t) * xa + t * xb, *p.args) for t in a])
        inside = (a >= 0) & (a <= 1)
        out[f"{A} -> {B}"] = dict(a=a, f=f, barrier=float(f[inside].max() - max(f[a == 0][0],
                                                                                  f[a == 1][0])))
    return out


def analyse(p, pt, runs, quick):
    lay = layers(p)
    rng = np.random.default_rng(0)
    n_dirs = 3 if quick else 5
    G = rng.standard_normal((n_dirs + 2, p.n))      # same draws for every optimizer
    ts = np.linspace(-1.0, 1.0, 41 if quick else 101)
    grid = np.linspace(-1.0, 1.0, 21 if quick else 51)
    te = np.linspace(-1.0, 1.0, 41 if quick else 81)  # eigenvector slices, |v| = 1
    for name, r in runs.items():
        x = r["x"]
        f0 = p.fun(x, *p.args)
        g = p.jac(x, *p.args)
        D = [filter_normalize(G[k], x, lay) for k in range(n_dirs + 2)]
        r["slices"] = np.array([slice_1d(p, x, D[k], ts) for k in range(n_dirs)])
        r["surface"] = surface_2d(p, x, D[n_dirs], D[n_dirs + 1], grid)
        L = lanczos((p.hessp, x, p.args), k=1, which="both", tol=1e-8, seed=0,
                    return_vectors=True)
        lmin, lmax = float(L.eigenvalues[0]), float(L.eigenvalues[-1])
        vmin, vmax = L.eigenvectors[:, 0], L.eigenvectors[:, -1]
        e = np.zeros(p.n)                           # softmax shift: all output biases + c
        o, a, b, bo = lay[-1]
        e[bo:bo + b] = 1.0 / np.sqrt(b)
        r["eig"] = dict(lmin=lmin, lmax=lmax, products=int(L.n_matvec),
                        vmin_dot_shift=float(abs(vmin @ e)))
        r["v_slices"] = {}
        for key, v, lam in (("v_max", vmax, lmax), ("v_min", vmin, lmin)):
            r["v_slices"][key] = dict(f=slice_1d(p, x, v, te),
                                      model=f0 + float(g @ v) * te + 0.5 * lam * te ** 2)
        rise = {}
        for t in (0.25, 0.5):
            k = [np.argmin(np.abs(ts - s)) for s in (-t, t)]
            rise[str(t)] = float(np.mean(r["slices"][:, k]) - f0)
        r["stats"] = dict(
            train_loss=float(f0), test_loss=float(p.fun(x, *pt.args)),
            train_error=error(p, x, p.args), test_error=error(p, x, pt.args),
            grad_norm=float(np.max(np.abs(g))), theta_norm=float(np.linalg.norm(x)),
            lambda_max=lmax, lambda_min=lmin, ratio=abs(lmin) / lmax,
            vmin_dot_softmax_shift=r["eig"]["vmin_dot_shift"],
            filter_rise=rise, nit=r["nit"], wall_train_s=r["wall"], setting=r["setting"])
    return ts, grid, te


# -------------------------------------------------------------------------- figures
def plot_1d(runs, interp, ts, te, path):
    fig, axes = plt.subplots(2, 2, figsize=(12.5, 9.4))
    axes = axes.ravel()
    ax = axes[0]
    for name, r in runs.items():
        c = COLORS[name]
        for k, s in enumerate(r["slices"]):
            ax.plot(ts, s, color=c, lw=1.4 if k == 0 else 0.8, alpha=1 if k == 0 else 0.45,
                    label=name if k == 0 else None)
    ax.set(yscale="log", xlabel="$t$   ($\\theta^* + t\\,d$, $d$ filter-normalised)",
           ylabel="training loss", ylim=(0.01, 30),
           title=f"random filter-normalised directions ({len(r['slices'])} each)")
    ax.legend(fontsize=8, loc="lower left")
    for ax, key, title in ((axes[1], "v_max", "along $v_{\\max}$ (sharpest direction)"),
                           (axes[2], "v_min", "along $v_{\\min}$ (most negative curvature)")):
        for name, r in runs.items():
            s = r["v_slices"][key]
            lam = r["stats"]["lambda_max" if key == "v_max" else "lambda_min"]
            ax.plot(te, s["f"], color=COLORS[name], lw=1.6, label=f"{name}: λ = {lam:.3g}")
            ax.plot(te, s["model"], color=COLORS[name], lw=0.9, ls="--")
        ax.set(xlabel="$t$   ($\\theta^* + t\\,v$, $\\|v\\| = 1$)", ylabel="training loss",
               title=title)
        ax.legend(fontsize=8, title="dashed: quadratic model", title_fontsize=8,
                  loc="lower left" if key == "v_max" else "upper center")
    axes[1].set(yscale="log", ylim=(0.01, 30))
    ax = axes[3]
    for (key, v), ls in zip(interp.items(), ("-", "--")):
        A, B = key.split(" -> ")
        ax.plot(v["a"], v["f"], color="k", ls=ls, lw=1.5,
                label=f"{A} (a = 0) to {B} (a = 1)")
        for t, name in ((0.0, A), (1.0, B)):
            ax.plot(t, v["f"][np.argmin(np.abs(v["a"] - t))], "o", color=COLORS[name], ms=7,
                    zorder=5)
    ax.set(yscale="log", xlabel="$a$   ($(1-a)\\,\\theta_A + a\\,\\theta_B$)",
           ylabel="training loss", title="linear interpolation between end points",
           ylim=(None, 40 * max(v["f"].max() for v in interp.values()) ** 0.5))
    ax.legend(fontsize=8, loc="upper center")
    for a in axes:
        a.grid(alpha=0.3)
    top = max(r["v_slices"]["v_min"]["f"].max() for r in runs.values())
    axes[2].set_ylim(0, 1.6 * top)
    fig.suptitle("1-D loss slices around four end points (mlp 2-16-16-3, n = 371; "
                 "λ and v: Lanczos on exact Hessian-vector products)", fontsize=11)
    fig.tight_layout()
    save_fig(fig, path, docs_name="landscape_1d.png")
    plt.close(fig)


def plot_2d(runs, grid, path):
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 9.6), layout="constrained")
    axes = axes.ravel()
    fmin = min(r["surface"].min() for r in runs.values())
    levels = np.geomspace(max(fmin, 1e-3) * 0.999, 10.0, 22)
    for ax, (name, r) in zip(axes, runs.items()):
        F = np.clip(r["surface"], levels[0], levels[-1])
        cs = ax.contourf(grid, grid, F, levels=levels, norm=LogNorm(), cmap="viridis")
        ax.contour(grid, grid, F, levels=levels[::3], colors="w", linewidths=0.5, alpha=0.6)
        ax.plot(0, 0, "r*", ms=11)
        st = r["stats"]
        ax.set(title=f"{name}: loss {st['train_loss']:.3f}, $\\lambda_{{\\max}}$ = "
                     f"{st['lambda_max']:.3g}",
               xlabel="$\\alpha$ (along $d_1$)", ylabel="$\\beta$ (along $d_2$)")
        ax.set_aspect("equal")
    fig.colorbar(cs, ax=axes, shrink=0.6, label="training loss (log scale)",
                 ticks=[0.01, 0.03, 0.1, 0.3, 1, 3, 10], format="%g")
    fig.suptitle("2-D loss surfaces $f(\\theta^* + \\alpha d_1 + \\beta d_2)$, filter-"
                 "normalised random $d_1, d_2$\n(the same two Gaussian draws for every "
                 "end point)",
                 fontsize=11)
    save_fig(fig, path, docs_name="landscape_2d.png")
    plt.close(fig)


def report(runs, interp, times, quick):
    L = [f"# Loss landscapes (Li et al. 2018) on mlp{' (--quick run)' if quick else ''}", "",
         "Figures: `landscape_1d.png`, `landscape_2d.png`; numbers in `results.json`.", "",
         "| optimizer | train loss | test loss | train / test error | lambda_max | "
         "lambda_min | abs(lambda_min)/lambda_max | mean rise at abs(t) = 0.25 / 0.5 | ‖θ‖ |",
         "|---|---|---|---|---|---|---|---|---|"]
    for name, r in runs.items():
        s = r["stats"]
        L.append(f"| {name} | {s['train_loss']:.4f} | {s['test_loss']:.4f} | "
                 f"{100 * s['train_error']:.1f} / {100 * s['test_error']:.1f} % | "
                 f"{s['lambda_max']:.3g} | {s['lambda_min']:.2g} | {s['ratio']:.2g} | "
                 f"{s['filter_rise']['0.25']:.3g} / {s['filter_rise']['0.5']:.3g} | "
                 f"{s['theta_norm']:.1f} |")
    L += ["", "Settings: " + "; ".join(f"{n}: {r['stats']['setting']}"
                                       for n, r in runs.items()) + ".", "",
          _comment(runs, interp), "", "## Wall times", "",
          ", ".join(f"{k}: {v:.1f} s" for k, v in times.items()), ""]
    return "\n".join(L)


def _comment(runs, interp):
    s = {n: r["stats"] for n, r in runs.items()}
    sharp = max(s, key=lambda n: s[n]["lambda_max"])
    flat = min(s, key=lambda n: s[n]["lambda_max"])
    best = min(s, key=lambda n: s[n]["test_loss"])
    by_rise = sorted(s, key=lambda n: s[n]["filter_rise"]["0.5"])
    by_lam = sorted(s, key=lambda n: s[n]["lambda_max"])
    agree = by_rise == by_lam
    return (
        f"What matches Li et al.: around every end point the filter-normalised slices and "
        f"surfaces are smooth single basins, nearly convex in the plotted window "
        f"(abs(lambda_min)/lambda_max <= {max(v['ratio'] for v in s.values()):.2g}; Li et al. "
        f"find such ratios small for shallow/wide nets and large for deep nets without "
        f"skip connections), and the slices along v_max follow the quadratic model "
        f"only for small t. The sharpest end point by lambda_max is {sharp} "
        f"({s[sharp]['lambda_max']:.3g}), the flattest {flat} ({s[flat]['lambda_max']:.3g}); "
        f"the ordering by the filter-normalised rise at abs(t) = 0.5 "
        f"{'is the same' if agree else 'differs (' + ' < '.join(by_rise) + ')'}: "
        f"lambda_max measures one direction, the random slices an average over all. "
        f"Along v_min the loss barely changes: the end points lie in valleys with near-zero "
        f"curvature, not at saddles (v_min is not the softmax shift direction, the exact "
        f"zero eigenvalue from adding one constant to the three output biases: overlap "
        f"<= {max(v['vmin_dot_softmax_shift'] for v in s.values()):.2f}). "
        f"Linear interpolation (Li et al. Fig. 3, after Goodfellow et al. 2015; all runs "
        f"start from the same x0): the loss on the segment rises at most "
        + "; ".join(f"{v['barrier']:.3g} above the higher end for {k}"
                    for k, v in interp.items()) +
        " (a small rise: one basin, a large one: a barrier between basins). "
        f"Batch size (Li et al. Fig. 3, after Keskar et al. 2017): with the same momentum and "
        f"learning rate, mini-batch 32 ends at lambda_max "
        f"{s['SGD-momentum']['lambda_max']:.3g} and the full batch at "
        f"{s['momentum, full batch']['lambda_max']:.3g}"
        + (" (small batch flatter, as in the paper)" if s["SGD-momentum"]["lambda_max"]
           < s["momentum, full batch"]["lambda_max"] else " (NOT flatter than full batch)") +
        f"; their test losses are {s['SGD-momentum']['test_loss']:.3f} and "
        f"{s['momentum, full batch']['test_loss']:.3f}. "
        f"Generalisation: the lowest test loss is {best}'s. Li et al.'s claim that flatter "
        f"minima generalise better is a trend over many networks; with four end points on "
        f"a 2-D toy task it cannot be tested, and here "
        + ("the flattest point is also the best on test data." if best == flat else
           f"the flattest point ({flat}) is not the best on test data ({best}), so no "
           f"support either way.") +
        " Differences from the paper: a 371-parameter tanh MLP on 300 points instead of "
        "ResNets/VGG on CIFAR-10; tanh is not positively homogeneous, so the weight-scale "
        "invariance that motivates filter normalisation for ReLU nets holds only "
        "approximately; the mini-batch runs stop at a fixed budget, not at a minimum, so "
        "their end points still have small gradients and (slightly) negative curvature.")


def main():
    args = parse_args(__doc__)
    quick = args.quick
    out = outdir(NAME)
    times = {}
    t_all = time.perf_counter()
    p = problems.get("mlp")
    pt = problems.get("mlp", seed=1)                 # test set: same generator, other seed
    with timed("train", times):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            runs = train(p, quick)
    with timed("landscape", times):
        ts, grid, te = analyse(p, pt, runs, quick)
        interp = interpolate(p, runs, quick)
    for name, r in runs.items():
        s = r["stats"]
        print(f"  {name}: f {s['train_loss']:.4f}, test {s['test_loss']:.4f}, "
              f"lmax {s['lambda_max']:.4g}, lmin {s['lambda_min']:.3g}, "
              f"rise(0.5) {s['filter_rise']['0.5']:.3g}")
    with timed("figures", times):
        plot_1d(runs, interp, ts, te, os.path.join(out, "landscape_1d.png"))
        plot_2d(runs, grid, os.path.join(out, "landscape_2d.png"))
    times["total"] = time.perf_counter() - t_all
    js = dict(quick=quick, problem=dict(name="mlp", n=p.n, params=dict(p.params)),
              test_set="mlp data with seed=1", times_s=times,
              filter_normalization="per output neuron: column W_l[:, j] of the (n_l, n_{l+1}) "
                                   "row-major block; bias directions 0",
              t_1d=ts, grid_2d=grid, t_eigen=te,
              interpolation={k: dict(a=v["a"], f=v["f"], barrier=v["barrier"])
                             for k, v in interp.items()},
              runs={n: dict(stats=r["stats"], eig=r["eig"], slices_1d=r["slices"],
                            surface_2d=r["surface"],
                            eigen_slices={k: v["f"] for k, v in r["v_slices"].items()})
                    for n, r in runs.items()})
    write_json(os.path.join(out, "results.json"), js)
    write_text(os.path.join(out, "report.md"), report(runs, interp, times, quick))
    print(f"total {times['total']:.1f} s")


if __name__ == "__main__":
    main()
