"""`python -m service` is the `tokenhouse` command."""

import sys

from .cli import main

sys.exit(main())
