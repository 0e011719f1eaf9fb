"""`python -m desktop` runs the command line."""

import sys

from desktop.cli import main

if __name__ == "__main__":  # worker processes re-import this module; they must not run the CLI
    sys.exit(main())
