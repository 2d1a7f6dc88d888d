"""``python -m newsetl.cli``: the same as the ``newsetl`` command."""

import sys

from newsetl.cli import main

sys.exit(main())
