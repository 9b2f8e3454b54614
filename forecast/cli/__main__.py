"""``python -m forecast.cli``: the same as the ``forecast`` command."""

import sys

from forecast.cli import main

sys.exit(main())
