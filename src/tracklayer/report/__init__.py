"""Figures and the run report: coverage maps, flyout and detection plots, loss curves, and
the self-contained HTML page built from a run folder's tables.

Every module here draws off-screen into files: matplotlib's non-interactive Agg backend
is chosen once, here, before any of them imports pyplot.
"""

import matplotlib

matplotlib.use("Agg")
