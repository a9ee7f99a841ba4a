"""One module per method: its registry entry (``ENTRY``), options record, state and kernels.

The list of methods is ``newtonlab._registry.MODULES``; the drivers the methods
plug into live in ``newtonlab._engine`` (``ls_driver``, ``tr_driver``,
``fo_driver``).  Private modules here (``_linesearch``, ...) hold what a family of
methods shares on the Python side.
"""
