"""Resumable parallel benchmark sweeps: ``newtonlab sweep CONFIG.toml --out DIR``.

Why a sweep tool: comparing methods means running every (problem, method, start point)
combination, often hundreds of runs, some of which fail, hang or take minutes.  A sweep
reads one TOML file (:mod:`~newtonlab.sweep.config`), expands it into tasks with stable
keys (:mod:`~newtonlab.sweep.tasks`), runs them in parallel worker processes or on dask
(:mod:`~newtonlab.sweep.backends`) with a per-task timeout, and appends one JSON record
per finished task to ``DIR/runs.jsonl`` at once (:mod:`~newtonlab.sweep.records`), so an
interrupted sweep loses nothing and ``--resume`` runs only what is missing
(:mod:`~newtonlab.sweep.runner`).  ``newtonlab profile DIR`` draws performance and data
profiles from the records.  docs/sweeps.md is the user guide.
"""
from .config import ConfigError, SweepConfig, load_config, parse_config
from .records import RECORD_KEYS, read_runs
from .runner import Summary, SweepError, run_sweep
from .tasks import expand, start_point, task_key

__all__ = ["run_sweep", "SweepError", "Summary", "load_config", "parse_config",
           "SweepConfig", "ConfigError", "read_runs", "RECORD_KEYS", "expand", "start_point",
           "task_key"]
