"""``python -m relapse_models``: the command line with the running interpreter, as the
pipeline's rules call it (no ``.venv/bin`` on PATH needed)."""

import sys

from relapse_models.cli import main

sys.exit(main())
