"""Ctrl-C during a run with Python parts, delivered where it cannot crash numba.

numba boxes a NamedTuple that a compiled function returns to Python (a
component's ``State``, every iteration of the interpreted loop) by fetching its
class through a Python call (``numba.core.serialize._numba_unpickle``), and does
not check that call for an error.  A KeyboardInterrupt raised there by Python's
default SIGINT handler leaves the class NULL, and numba calls it: a segmentation
fault (15 lines reproduce it without newtonlab; the fix belongs in numba).

So while a run with Python parts runs in the main thread, :class:`deferred_sigint`
replaces the default handler by one that raises at once, as Python's would, only
inside the user's own code (below one of the shims :func:`user_code` registers,
with no numba frame in between); anywhere else (numba's Python code, numba's C
code checking for signals on the loop's behalf, the loop itself) it records the
interrupt, and :func:`raise_pending` raises it at the next safe point: the next
call of one of the user's functions, the next iteration's callback, or the
run's end.
"""
import os
import signal
import threading

import numba

_NUMBA_DIR = os.path.dirname(os.path.abspath(numba.__file__))
_MAIN = threading.main_thread().ident     # signals are handled in the main thread only
_pending = False      # a Ctrl-C seen inside numba's code, not yet raised
_active = False       # a deferred_sigint handler is installed (the outermost run's)


_USER_CODE = set()    # code objects of the shims that call the user's functions
_OURS = {__file__, signal.__file__}   # a Ctrl-C while the handler is swapped is deferred too


def user_code(fn):
    """Register ``fn`` as a shim around the user's code (a Ctrl-C below it is raised)."""
    _USER_CODE.add(fn.__code__)
    return fn


def _handler(signum, frame):
    global _pending
    while frame is not None:
        code = frame.f_code
        if code in _USER_CODE:
            raise KeyboardInterrupt       # in the user's code: Python's own behaviour
        if code.co_filename.startswith(_NUMBA_DIR) or code.co_filename in _OURS:
            break                         # numba's code, or this module installing itself
        frame = frame.f_back
    _pending = True


def raise_pending():
    """Raise the KeyboardInterrupt a Ctrl-C left pending (a safe point: no numba frame
    below)."""
    global _pending
    if _pending and threading.get_ident() == _MAIN:
        _pending = False
        raise KeyboardInterrupt


class deferred_sigint:
    """Install :func:`_handler` for SIGINT around a run (main thread only, and only over
    Python's default handler: a handler the user installed is left alone); a nested run
    leaves the outer run's in place.  A Ctrl-C still pending at the end is raised."""

    __slots__ = ("previous",)

    def __enter__(self):
        global _active
        self.previous = None
        if (not _active and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            # The state is set before the handler and reset in a ``finally``: a Ctrl-C can
            # land inside ``signal.signal`` (its Python wrapper runs bytecode), and one that
            # left ``_active`` set with the default handler back would disarm every later
            # run (a run of the interrupt test then segfaulted in numba's boxing).
            _active = True
            try:
                signal.signal(signal.SIGINT, _handler)
            except BaseException:     # a Ctrl-C before the handler was in place
                _active = False
                if signal.getsignal(signal.SIGINT) is _handler:
                    signal.signal(signal.SIGINT, signal.default_int_handler)
                raise
            self.previous = signal.default_int_handler
        return self

    def __exit__(self, kind, value, tb):
        global _active, _pending
        if self.previous is not None:
            try:
                signal.signal(signal.SIGINT, self.previous)
            finally:
                _active = False
                pending, _pending = _pending, False
            if pending and kind is None:    # (else the run's own exception is raised)
                raise KeyboardInterrupt
