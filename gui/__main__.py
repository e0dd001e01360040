"""`python -m gui`: the app, or one of its headless sub-commands."""

import sys

from gui.app import main

sys.exit(main())
