"""``python -m newtonlab <command>``: see :mod:`newtonlab.cli`."""
import sys

from .cli import main

if __name__ == "__main__":      # not when a worker process re-imports the main module
    sys.exit(main())
