"""Learning-rate schedules, evaluated inside the compiled first-order driver.

A schedule is a typed record (:class:`Schedule`: an integer ``kind`` and its
parameters), so one compiled driver serves every schedule: no callable enters
the loop.  Step ``k`` counts optimizer steps from 0 (the first step uses eta_0),
the convention of PyTorch's ``LRScheduler`` stepped once per ``optimizer.step()``
and of optax's schedules evaluated at the update count.

=============  ==========================================================  =====================
kind           eta_k                                                       PyTorch / optax
=============  ==========================================================  =====================
CONSTANT       eta                                                         ConstantLR(1) / constant_schedule
STEP           eta * gamma ** floor(k / step_size)                         StepLR
               eta * gamma ** #{m in milestones : m <= k}                  MultiStepLR / piecewise_constant
EXPONENTIAL    eta * gamma ** k                                            ExponentialLR / exponential_decay
INVERSE_TIME   eta / (1 + decay_rate * k)                                  (1/t decay; Adagrad's lr_decay)
POLYNOMIAL     eta * (1 + decay_rate * k) ** (-power)                      (Robbins-Monro, Bottou 2012)
WARMUP         eta (CONSTANT), with the warm-up factor below
=============  ==========================================================  =====================

Every kind is multiplied by the linear warm-up factor of PyTorch's ``LinearLR``
when ``warmup_steps`` W > 0:  w_k = s + (1 - s) * min(k, W) / W, with
s = ``warmup_start`` (the product of two schedulers, as PyTorch's
``ChainedScheduler`` computes it).  The Python layer validates the parameters
(``newtonlab.methods._firstorder``); this module only evaluates.
"""
from typing import NamedTuple

import numpy as np

from .config import jit_borrow

CONSTANT, STEP, EXPONENTIAL, INVERSE_TIME, POLYNOMIAL, WARMUP = range(6)
NAMES = {"constant": CONSTANT, "step": STEP, "exponential": EXPONENTIAL,
         "inverse-time": INVERSE_TIME, "1/t": INVERSE_TIME, "polynomial": POLYNOMIAL,
         "warmup": WARMUP}

class Schedule(NamedTuple):
    """A schedule's typed parameters (checked by ``newtonlab.methods._firstorder``)."""
    kind: int              # CONSTANT, STEP, ...
    lr: float              # base learning rate eta
    gamma: float           # STEP / EXPONENTIAL factor
    step_size: int         # STEP without milestones: decay every step_size steps
    decay_rate: float      # INVERSE_TIME / POLYNOMIAL: beta in (1 + beta k)
    power: float           # POLYNOMIAL exponent alpha
    warmup_steps: int      # warm-up length W (0: none)
    warmup_start: float    # warm-up start factor s
    milestones: np.ndarray  # STEP: sorted milestones (float64; empty: use step_size)


@jit_borrow
def lr_at(sc, k):
    """The learning rate eta_k of step k (k = 0, 1, ...) for the schedule ``sc``."""
    eta = sc.lr
    kind = sc.kind
    if kind == STEP:
        nm = sc.milestones.size
        if nm > 0:
            count = 0
            for j in range(nm):
                if sc.milestones[j] <= k:
                    count += 1
            eta = eta * sc.gamma ** count
        else:
            eta = eta * sc.gamma ** (k // sc.step_size)
    elif kind == EXPONENTIAL:
        eta = eta * sc.gamma ** k
    elif kind == INVERSE_TIME:
        eta = eta / (1.0 + sc.decay_rate * k)
    elif kind == POLYNOMIAL:
        eta = eta * (1.0 + sc.decay_rate * k) ** (-sc.power)
    W = sc.warmup_steps
    if W > 0 and k < W:
        s = sc.warmup_start
        eta = eta * (s + (1.0 - s) * k / W)
    return eta
