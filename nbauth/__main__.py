"""``python -m nbauth`` is the ``nbauth`` command."""

import sys

from .cli import main

sys.exit(main())
