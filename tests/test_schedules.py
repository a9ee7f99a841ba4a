"""Learning-rate schedules: closed forms, PyTorch's scheduler semantics, the trace's alpha
column for every first-order method, and bad parameters."""
import numba
import numpy as np
import pytest

import newtonlab as nl
from newtonlab.methods._firstorder import learning_rates

K = np.arange(50)
ETA = 0.3


@pytest.mark.parametrize("params,formula", [
    ({"schedule": "constant"}, ETA + 0 * K),
    ({"schedule": "step", "step_size": 7, "gamma": 0.5}, ETA * 0.5 ** (K // 7)),
    ({"schedule": "step", "step_size": 7}, ETA * 0.1 ** (K // 7)),        # PyTorch's gamma
    ({"schedule": "step", "milestones": [3, 10, 40], "gamma": 0.2},
     ETA * 0.2 ** ((K >= 3).astype(int) + (K >= 10) + (K >= 40))),
    ({"schedule": "exponential", "gamma": 0.95}, ETA * 0.95 ** K),
    ({"schedule": "inverse-time", "decay_rate": 0.1}, ETA / (1 + 0.1 * K)),
    ({"schedule": "1/t", "decay_rate": 2.0}, ETA / (1 + 2.0 * K)),
    ({"schedule": "polynomial", "decay_rate": 0.5, "power": 0.75}, ETA * (1 + 0.5 * K) ** -0.75),
    ({"schedule": "warmup", "warmup_steps": 8, "warmup_start": 0.0}, ETA * np.minimum(K, 8) / 8),
    ({"schedule": "exponential", "gamma": 0.9, "warmup_steps": 5},
     ETA * 0.9 ** K * (1 / 3 + (2 / 3) * np.minimum(K, 5) / 5)),
], ids=["constant", "step", "step-default-gamma", "milestones", "exponential", "inverse-time",
        "1/t", "polynomial", "warmup", "exponential+warmup"])
def test_schedule_matches_its_formula(params, formula):
    np.testing.assert_allclose(learning_rates(K.size, ETA, **params), formula, rtol=1e-14)


def test_pytorch_scheduler_semantics():
    # StepLR(step_size=2, gamma=0.5), MultiStepLR([1, 3]), LinearLR(total_iters=3) defaults
    assert learning_rates(6, 1.0, schedule="step", step_size=2, gamma=0.5).tolist() == \
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(learning_rates(5, 1.0, schedule="step", milestones=[1, 3]),
                               [1.0, 0.1, 0.1, 0.01, 0.01], rtol=1e-15)
    np.testing.assert_allclose(learning_rates(5, 1.0, schedule="warmup", warmup_steps=3),
                               [1 / 3, 5 / 9, 7 / 9, 1.0, 1.0], rtol=1e-15)


@numba.njit(cache=True)
def bowl(x):
    return 0.5 * np.dot(x, x)


@numba.njit(cache=True)
def bowl_grad(x):
    return x.copy()


FIRST_ORDER = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
               "rprop", "lion", "delta-bar-delta"]


@pytest.mark.parametrize("method", FIRST_ORDER)
def test_every_method_runs_every_schedule(method):
    x0 = np.array([1.0, -2.0, 0.5])
    for params in ({"schedule": "polynomial", "decay_rate": 0.3, "power": 0.6,
                    "warmup_steps": 4},
                   {"schedule": "step", "milestones": [2, 5], "gamma": 0.3}):
        o = {"lr": 0.05, "maxiter": 12, "gtol": 0.0, **params}
        if method == "gd":
            o["linesearch"] = "none"
        r = nl.minimize(bowl, x0, jac=bowl_grad, method=method, options=o)
        assert r.nit == 12
        np.testing.assert_allclose(r.trace["alpha"][1:], learning_rates(12, 0.05, **params),
                                   rtol=1e-15)


def test_adagrad_lr_decay_is_inverse_time_on_top_of_the_schedule():
    r = nl.minimize(bowl, np.ones(2), jac=bowl_grad, method="adagrad",
                    options={"lr": 0.1, "lr_decay": 0.5, "schedule": "exponential",
                             "gamma": 0.9, "maxiter": 6})
    t = np.arange(1, 7)
    np.testing.assert_allclose(r.trace["alpha"][1:], 0.1 * 0.9 ** (t - 1) / (1 + (t - 1) * 0.5),
                               rtol=1e-15)


@pytest.mark.parametrize("params,match", [
    ({"schedule": "constant", "gamma": 0.5}, "'gamma'"),
    ({"schedule": "exponential"}, "'gamma'"),
    ({"schedule": "exponential", "gamma": -0.5}, "'gamma'"),
    ({"schedule": "step"}, "'step_size'"),
    ({"schedule": "step", "step_size": 2, "milestones": [3]}, "'milestones'"),
    ({"schedule": "step", "milestones": [5, 3]}, "'milestones'"),
    ({"schedule": "step", "step_size": 0}, "'step_size'"),
    ({"schedule": "inverse-time"}, "'decay_rate'"),
    ({"schedule": "polynomial", "decay_rate": 1.0}, "'power'"),
    ({"schedule": "polynomial", "decay_rate": -1.0, "power": 1.0}, "'decay_rate'"),
    ({"schedule": "warmup"}, "'warmup_steps'"),
    ({"warmup_steps": 3, "warmup_start": 2.0}, "'warmup_start'"),
    ({"schedule": "cosine"}, "'schedule'"),
])
def test_bad_schedule_parameters_name_the_key(params, match):
    with pytest.raises(ValueError, match=match):
        nl.minimize(bowl.py_func, np.ones(2), jac=bowl_grad.py_func, method="adam",
                    options=params)
