"""`python -m gui`: the app, or one of its headless sub-commands."""

import sys

from gui.cli import main

sys.exit(main())
