"""Learning-rate schedules, evaluated inside the compiled first-order driver.

A schedule is an integer ``kind`` and a float parameter array ``sp`` (layout
below), so one compiled driver serves every schedule: no callable enters the
loop.  Step ``k`` counts optimizer steps from 0 (the first step uses eta_0),
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
from .config import jit

CONSTANT, STEP, EXPONENTIAL, INVERSE_TIME, POLYNOMIAL, WARMUP = range(6)
NAMES = {"constant": CONSTANT, "step": STEP, "exponential": EXPONENTIAL,
         "inverse-time": INVERSE_TIME, "1/t": INVERSE_TIME, "polynomial": POLYNOMIAL,
         "warmup": WARMUP}

# layout of the parameter array sp
P_LR = 0            # base learning rate eta
P_GAMMA = 1         # STEP / EXPONENTIAL factor
P_STEP_SIZE = 2     # STEP without milestones: decay every step_size steps
P_DECAY = 3         # INVERSE_TIME / POLYNOMIAL: beta in (1 + beta k)
P_POWER = 4         # POLYNOMIAL exponent alpha
P_WARMUP = 5        # warm-up length W (0: none)
P_WARMUP_START = 6  # warm-up start factor s
P_NMILE = 7         # number of STEP milestones that follow
P_MILESTONES = 8    # sorted milestones, as floats
NP_FIXED = 8


@jit
def lr_at(kind, sp, k):
    """The learning rate eta_k of step k (k = 0, 1, ...) for schedule ``kind``."""
    eta = sp[P_LR]
    if kind == STEP:
        nm = int(sp[P_NMILE])
        if nm > 0:
            count = 0
            for j in range(nm):
                if sp[P_MILESTONES + j] <= k:
                    count += 1
            eta = eta * sp[P_GAMMA] ** count
        else:
            eta = eta * sp[P_GAMMA] ** (k // int(sp[P_STEP_SIZE]))
    elif kind == EXPONENTIAL:
        eta = eta * sp[P_GAMMA] ** k
    elif kind == INVERSE_TIME:
        eta = eta / (1.0 + sp[P_DECAY] * k)
    elif kind == POLYNOMIAL:
        eta = eta * (1.0 + sp[P_DECAY] * k) ** (-sp[P_POWER])
    W = sp[P_WARMUP]
    if W > 0.0 and k < W:
        s = sp[P_WARMUP_START]
        eta = eta * (s + (1.0 - s) * k / W)
    return eta
