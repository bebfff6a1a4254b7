"""``python -m nbauth.sandbox``."""

import sys

from .command import main

sys.exit(main())
