"""``python -m likekit``: the command line, as the ``likekit`` script."""

import sys

from likekit.cli import main

sys.exit(main())
