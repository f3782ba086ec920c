"""`python -m web.cli …` runs the `duban` command."""
import sys

from web.cli import main

sys.exit(main())
