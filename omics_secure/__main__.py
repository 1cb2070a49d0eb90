"""``python -m omics_secure``: the ``omics-secure`` command."""

import sys

from omics_secure.cli import main

sys.exit(main())
