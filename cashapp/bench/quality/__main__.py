"""``python -m cashapp.bench.quality``: one seed's book through the pipeline, its report."""

import sys

from cashapp.bench.quality.runner import main

sys.exit(main())
