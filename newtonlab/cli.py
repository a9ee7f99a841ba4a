"""The ``newtonlab`` command (also ``python -m newtonlab``), built with click.

Subcommands: ``sweep`` (a resumable parallel benchmark sweep, :mod:`newtonlab.sweep`),
``profile`` (performance and data profiles of a sweep's records), ``compare`` (newtonlab
against scipy.optimize, :mod:`newtonlab.bench`), ``warmup`` (compile every method into
numba's disk cache ahead of use) and ``list`` (methods with their options, or problems).

Why click: one declarative place for every subcommand's options and ``--help``.  Heavy
modules (numba, the methods, dask, matplotlib) are imported inside the commands, so
``newtonlab --help`` stays instant.  The warm-up machinery lives in
:mod:`newtonlab._warmup` (worker processes import it without the CLI);
:func:`compile_jobs` is re-exported here for older imports.

:func:`main` is the console script's entry point: it returns the exit code (0 ok, 1 a
failure, 2 a usage error, 130 interrupted by Ctrl-C) instead of exiting, so tests and
scripts can call it.
"""
import os
import sys
import time

import click

from ._warmup import _NAME_WIDTH, _label, compile_jobs  # noqa: F401  (compile_jobs: re-exported)

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _MultiValueCommand(click.Command):
    """A command whose ``multi_value`` options take several values after one flag, as
    argparse's ``nargs="+"`` did: ``--methods bfgs lbfgs`` is read as ``--methods bfgs
    --methods lbfgs`` (the options are ``multiple=True``; the repeated form works too)."""

    multi_value = ()

    def parse_args(self, ctx, args):
        out, inside = [], None
        for a in args:
            if a.startswith("-"):
                flag = a.split("=", 1)[0]
                inside = flag if flag in self.multi_value else None
                out.append(a)
            elif inside is not None and out[-1] != inside:
                out.extend([inside, a])
            else:
                out.append(a)
        return super().parse_args(ctx, out)


class _WarmupCommand(_MultiValueCommand):
    multi_value = ("--methods", "--problems")


@click.group(context_settings=_CONTEXT)
def newtonlab():
    """newtonlab command line: sweeps, profiles, the scipy comparison, compile warm-up."""


# ------------------------------------------------------------------ sweep / profile

@newtonlab.command(context_settings=_CONTEXT)
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="output directory: runs.jsonl, traces.csv, config.toml")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default=True, help="worker processes (local) or LocalCluster workers (dask)")
@click.option("--backend", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="local process pool, or dask.distributed "
                                      "(pip install newtonlab[dask])")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="dask scheduler address (default: a LocalCluster of --jobs workers)")
@click.option("--resume", is_flag=True,
              help="continue a sweep in --out: skip finished tasks, retry failed ones")
@click.option("--progress/--no-progress", default=None,
              help="tqdm bar (default: on when stdout is a terminal and CI is not set)")
@click.option("--quiet", "-q", is_flag=True, help="no per-task log lines")
def sweep(config, out, jobs, backend, scheduler, resume, progress, quiet):
    """Run every (problem, method, seed, repeat) task of the TOML CONFIG in parallel.

    Each finished task is appended at once to OUT/runs.jsonl (see docs/sweeps.md), so an
    interrupted sweep loses nothing: rerun it with --resume.  Exit code 0 when every task
    ran (failed solves are records too), 1 on a configuration error.
    """
    from .sweep import SweepError, run_sweep
    try:
        summary = run_sweep(config, out, jobs=jobs, backend=backend, scheduler=scheduler,
                            resume=resume, progress=progress, log=not quiet)
    except SweepError as exc:
        click.echo(f"newtonlab sweep: {exc}", err=True)
        return 1
    click.echo(summary.line())
    return 0


@newtonlab.command(context_settings=_CONTEXT)
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--tau", "taus", type=float, multiple=True,
              help="tolerance(s) of the profiles (repeatable; default 1e-1 1e-3 1e-5 1e-7)")
def profile(directory, taus):
    """Performance and data profiles (PNG) of the sweep in DIRECTORY (its runs.jsonl)."""
    from .sweep.profiles import profile_dir
    try:
        paths = profile_dir(directory, **({"taus": tuple(taus)} if taus else {}))
    except (OSError, ValueError) as exc:   # no runs.jsonl, or no finished run in it
        click.echo(f"newtonlab profile: {exc}", err=True)
        return 1
    for p in paths:
        click.echo(p)
    return 0


# ------------------------------------------------------------------ compare

@newtonlab.command(context_settings={"ignore_unknown_options": True,
                                     "allow_extra_args": True, "help_option_names": []},
                   add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def compare(args):
    """newtonlab against scipy.optimize on the built-in problems (compare --help: options).

    The same as ``python -m newtonlab.compare``: a sweep whose worker processes pin
    BLAS to one thread before they load numpy.
    """
    from .bench.main import main as compare_main
    return compare_main(list(args))


# ------------------------------------------------------------------ warmup

@newtonlab.command(cls=_WarmupCommand, context_settings=_CONTEXT)
@click.option("--jobs", "-j", type=int, default=os.cpu_count() or 1, show_default=True,
              help="worker processes (default: the number of cores)")
@click.option("--methods", multiple=True, metavar="M",
              help="only these methods (one or more after the flag; default: every method "
                   "of newtonlab.METHODS)")
@click.option("--problems", multiple=True, metavar="P",
              help="also compile for the args type of these library problems (e.g. "
                   "quadratic: args (A, b)); every args type runs a method's one compiled "
                   "loop, so each adds only small adapters")
@click.option("--no-progress", is_flag=True, help="no progress bar or counter")
def warmup(jobs, methods, problems, no_progress):
    """Compile every newtonlab method into numba's disk cache (NUMBA_CACHE_DIR, else
    __pycache__ beside the sources), in parallel, so that first calls load instead of
    compiling."""
    import numba

    from . import METHODS
    if numba.config.DISABLE_JIT:
        print("NUMBA_DISABLE_JIT is set: nothing is compiled, nothing to warm up")
        return 0
    methods = list(METHODS) if not methods else [m.lower() for m in methods]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise click.BadParameter(f"unknown method(s) {unknown}; implemented: "
                                 f"{', '.join(METHODS)}", param_hint="--methods")
    problems = list(problems)
    # one job per method, all its args types in order in one worker (one compiled loop)
    jobs_ = [(m, (None,) + tuple((p, ()) for p in problems)) for m in methods]
    workers = max(1, min(jobs, len(jobs_)))
    print(f"compiling {len(methods)} methods"
          + (f" for {1 + len(problems)} args types" if problems else "")
          + f" in {workers} process(es)", flush=True)
    t0 = time.perf_counter()
    out = compile_jobs(jobs_, workers, progress=not no_progress)
    wall = time.perf_counter() - t0
    failed = 0
    width = max(_NAME_WIDTH, *(len(_label(job)) for job in jobs_))
    for job in jobs_:
        seconds, error = out[job]
        print(f"  {_label(job):<{width}} {seconds:6.1f} s"
              + (f"  FAILED: {error}" if error else ""))
        failed += error is not None
    total = sum(s for s, _ in out.values())
    print(f"{wall:.1f} s wall for {total:.1f} s of compiling"
          + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0


# ------------------------------------------------------------------ list

@newtonlab.command("list", context_settings=_CONTEXT)
@click.argument("what", type=click.Choice(["methods", "problems"]), default="methods")
def list_(what):
    """List the methods (with every option's default) or the problems (with their labels)."""
    import textwrap
    if what == "methods":
        from . import METHODS
        for name, m in METHODS.items():
            print(f"{name:<{_NAME_WIDTH + 2}}{m.family:<13}{m.summary}")
            opts = ", ".join(f"{k}={v!r}" for k, v in m.defaults.items())
            print(textwrap.fill(opts, width=100, initial_indent="    ",
                                subsequent_indent="    "))
        print("\nscipy.optimize methods in sweeps: scipy:NAME, e.g. scipy:BFGS, "
              "scipy:L-BFGS-B, scipy:trust-exact")
    else:
        from . import problems
        names = problems.names()
        width = max(map(len, names)) + 2
        for name in names:
            p = problems.get(name)
            print(f"{name:<{width}}n = {p.n:<6d}{', '.join(p.labels)}")
    return 0


# ------------------------------------------------------------------ entry point

def main(argv=None):
    """Entry point of the ``newtonlab`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        click.echo(newtonlab.get_help(click.Context(newtonlab, info_name="newtonlab")))
        return 2
    try:
        rv = newtonlab.main(args=argv, prog_name="newtonlab", standalone_mode=False)
    except click.exceptions.Abort:                # Ctrl-C (click turns it into Abort)
        print("\nnewtonlab: interrupted", file=sys.stderr)
        return 130                                # the shell's code for SIGINT
    except KeyboardInterrupt:
        print("\nnewtonlab: interrupted", file=sys.stderr)
        return 130
    except click.exceptions.ClickException as exc:
        exc.show()
        if isinstance(exc, click.exceptions.UsageError):
            raise SystemExit(exc.exit_code) from None   # 2, as argparse did
        return exc.exit_code
    except BrokenPipeError:                       # a reader (`| head`) closed the pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return rv if isinstance(rv, int) else 0
