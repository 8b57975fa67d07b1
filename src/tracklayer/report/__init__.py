"""tracklayer.report."""
