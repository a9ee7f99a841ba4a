"""Classic first-order behaviours on f(x) = 0.1 x1^2 + 2 x2^2 (Zhang et al., Dive into Deep
Learning, ch. 12), each figure a set of trajectories on the contours and a loss curve.

1. gd_step_sizes.png   GD with growing eta: the stiff direction (curvature 4) contracts by
                       |1 - 4 eta|: smooth at 0.1, oscillating at 0.4, period-2 at 0.5,
                       diverging at 0.6 (newtonlab stops it with status DIVERGED).
2. momentum.png        eta = 0.6 diverges for GD, heavy-ball momentum with beta = 0.5 or 0.25
                       converges: the recurrence z^2 - (1 + beta - 4 eta) z + beta has roots
                       inside the unit circle; beta = 0.5 damps the oscillation faster.
3. adagrad_rmsprop.png AdaGrad's per-coordinate step lr / sqrt(sum g^2) only decays; RMSProp's
                       running average forgets, so its step stays ~lr / |g| and it keeps moving.
4. adam_bias.png       Adam with bias correction against the same update without it (a NumPy
                       loop here: newtonlab's Adam always corrects).  Uncorrected,
                       m_1 = (1 - b1) g and v_1 = (1 - b2) g^2, so the first step is
                       lr (1 - b1) / sqrt(1 - b2) ~ 3.2 lr per coordinate instead of lr, and
                       the early iterates overshoot.

Run: ``python experiments/first_order_classics.py`` (writes PNGs to experiments/out/).
"""
import os

import matplotlib
import numba
import numpy as np

import newtonlab as nl

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
X0 = np.array([-5.0, -2.0])


@numba.njit(cache=True)
def f(x):
    return 0.1 * x[0] ** 2 + 2.0 * x[1] ** 2


@numba.njit(cache=True)
def grad(x):
    return np.array([0.2 * x[0], 4.0 * x[1]])


def run(method, steps, **options):
    """Iterates (steps + 1, 2), f values and the result of one newtonlab run."""
    opts = {"maxiter": steps, "return_all": True, "gtol": 0.0, **options}
    if method == "gd":
        opts["linesearch"] = "none"
    res = nl.minimize(f, X0, jac=grad, method=method, options=opts)
    return np.array(res.allvecs), res.trace["f"], res


def figure(title, extra=0, xmax=1.5):
    """Contour panel, loss panel and ``extra`` more panels."""
    fig, axes = plt.subplots(1, 2 + extra, figsize=(12 + 4.5 * extra, 4.6),
                             gridspec_kw={"width_ratios": [1.5, 1] + [1] * extra})
    ax, ax2 = axes[:2]
    x1, x2 = np.meshgrid(np.linspace(-5.5, xmax, 300), np.linspace(-3.0, 3.0, 300))
    ax.contour(x1, x2, 0.1 * x1 ** 2 + 2 * x2 ** 2, levels=[0.05, 0.2, 0.5, 1, 2, 4, 7, 11, 16],
               colors="0.75", linewidths=0.8)
    ax.plot(0, 0, "k*", ms=11, zorder=5)
    ax.set(xlim=(-5.5, xmax), ylim=(-3.0, 3.0), xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.set_aspect("equal")
    ax2.set(yscale="log", xlabel="iteration $k$", ylabel="$f(x_k)$", title="loss")
    ax2.grid(True, which="major", alpha=0.3)
    return (fig, ax, ax2) + tuple(axes[2:])


def draw(ax, ax2, xs, fs, label, color):
    ax.plot(xs[:, 0], xs[:, 1], "-o", color=color, ms=3, lw=1.2, label=label)
    ax2.plot(np.arange(len(fs)), fs, "-", color=color, lw=1.5, label=label)


def save(fig, ax, ax2, name):
    ax2.legend(fontsize=8)        # one legend, off the trajectories
    fig.tight_layout()
    path = os.path.join(OUT, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("wrote", path)


def gd_step_sizes():
    fig, ax, ax2 = figure("gradient descent, growing $\\eta$")
    for eta, c in zip((0.1, 0.4, 0.5, 0.6), ("C0", "C1", "C2", "C3")):
        xs, fs, res = run("gd", 20, lr=eta)
        draw(ax, ax2, xs, fs, f"$\\eta$={eta}: stiff factor 1-4$\\eta$ = {1 - 4 * eta:+.1f}", c)
        print(f"  gd eta={eta}: f_20={fs[-1]:.3g}")
    xs, fs, res = run("gd", 500, lr=0.6)
    print(f"  gd eta=0.6, maxiter=500: {res.message} (nit={res.nit}, f={res.fun:.3g})")
    save(fig, ax, ax2, "gd_step_sizes.png")


def momentum():
    fig, ax, ax2 = figure("$\\eta$ = 0.6: momentum fixes the oscillation")
    xs, fs, _ = run("gd", 20, lr=0.6)
    draw(ax, ax2, xs, fs, "GD (diverges)", "C3")
    for beta, c in ((0.5, "C0"), (0.25, "C2")):
        xs, fs, _ = run("momentum", 20, lr=0.6, momentum=beta)
        roots = np.abs(np.roots([1, -(1 + beta - 0.6 * 4), beta]))
        draw(ax, ax2, xs, fs, f"momentum $\\beta$={beta} (|z|={roots.max():.2f})", c)
        print(f"  momentum beta={beta}: f_20={fs[-1]:.3g}, stiff-mode |z|max={roots.max():.3f}")
    save(fig, ax, ax2, "momentum.png")


def adagrad_rmsprop():
    fig, ax, ax2, ax3 = figure("AdaGrad vs RMSProp, $\\eta$ = 0.4", extra=1)
    for method, opts, c in (("adagrad", {}, "C0"), ("rmsprop", {"alpha": 0.9}, "C1")):
        xs, fs, _ = run(method, 40, lr=0.4, **opts)
        draw(ax, ax2, xs, fs, method, c)
        g = np.array([grad(x) for x in xs[:-1]])
        eff = np.abs(np.diff(xs, axis=0)) / np.abs(g)     # per-coordinate step lr_eff
        for j, ls in ((0, "-"), (1, "--")):
            ax3.plot(np.arange(1, len(eff) + 1), eff[:, j], ls, color=c,
                     label=f"{method}, $x_{j + 1}$")
        print(f"  {method}: f_40={fs[-1]:.3g}, effective steps at k=40: {eff[-1]}")
    for lam, ls in ((0.2, "-"), (4.0, "--")):
        ax3.axhline(2 / lam, color="0.4", ls=ls, lw=0.8)
        ax3.text(40, 2 / lam * 1.08, f"stability limit 2/{lam:g}", fontsize=7, color="0.3",
                 ha="right")
    ax3.set(yscale="log", xlabel="iteration $k$", ylabel="$|\\Delta x_i| / |g_i|$",
            title="per-coordinate effective step")
    ax3.grid(True, alpha=0.3)
    ax3.set_ylim(0.004, 30)
    ax3.legend(fontsize=8, ncol=2, loc="lower center")
    save(fig, ax, ax2, "adagrad_rmsprop.png")


def adam_uncorrected(steps, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam's update without the 1 / (1 - b^t) corrections (reference loop, NumPy)."""
    x, m, v = X0.copy(), np.zeros(2), np.zeros(2)
    xs = [x.copy()]
    for _ in range(steps):
        g = grad(x)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr * m / (np.sqrt(v) + eps)
        xs.append(x.copy())
    xs = np.array(xs)
    return xs, np.array([f(x) for x in xs])


def adam_bias():
    fig, ax, ax2, ax3 = figure("Adam, $\\eta$ = 0.3: bias correction", extra=1, xmax=3.5)
    xs, fs, _ = run("adam", 60, lr=0.3)
    draw(ax, ax2, xs, fs, "Adam (bias-corrected)", "C0")
    xu, fu = adam_uncorrected(60, 0.3)
    draw(ax, ax2, xu, fu, "without bias correction", "C3")
    d_c = np.linalg.norm(np.diff(xs, axis=0), axis=1)
    d_u = np.linalg.norm(np.diff(xu, axis=0), axis=1)
    k = np.arange(1, len(d_c) + 1)
    ax3.plot(k, d_c / 0.3, color="C0", label="bias-corrected")
    ax3.plot(k, d_u / 0.3, color="C3", label="without bias correction")
    ax3.axhline(np.sqrt(2), color="0.4", ls=":", lw=0.8)
    ax3.text(40, np.sqrt(2) * 1.06, "$\\sqrt{2}$ (one lr per coordinate)", fontsize=7)
    ax3.set(xlabel="iteration $k$", ylabel="$\\|x_k - x_{k-1}\\| / \\eta$",
            title="step length")
    ax3.grid(True, alpha=0.3)
    ax3.legend(fontsize=8)
    print(f"  first step lengths: corrected {d_c[:3]}, uncorrected {d_u[:3]}")
    print(f"  f_60: corrected {fs[-1]:.3g}, uncorrected {fu[-1]:.3g}")
    save(fig, ax, ax2, "adam_bias.png")


def main():
    os.makedirs(OUT, exist_ok=True)
    gd_step_sizes()
    momentum()
    adagrad_rmsprop()
    adam_bias()


if __name__ == "__main__":
    main()
