"""adamw: Adam with decoupled weight decay (Loshchilov & Hutter 2019, Alg. 2).

As ``torch.optim.AdamW``: the Adam step of ``adam.py`` on d_t = g_t, after
x_t <- x_t (1 - eta_t wd) (optax: x_{t+1} = x_t - eta_t (u_t + wd x_t)).  Both
libraries scale the decay by the scheduled eta_t, unlike the paper, which
multiplies wd by the schedule multiplier only.  Weight decay moves the fixed
point away from the minimizer of f.

adamw runs adam's compiled entry (one compilation for both), with
``Options.decoupled`` set.
"""
from . import _firstorder as F
from . import adam


def prepare(opts, obj, x0):
    return F.plan(adam.solve, opts, obj, x0, adam.options(opts, decoupled=True))


ENTRY = F.entry(
    "adamw", "AdamW: Adam with decoupled weight decay.",
    {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
    prepare, adam.solve, "Loshchilov & Hutter (2019), ICLR, Alg. 2; torch.optim.AdamW.")
