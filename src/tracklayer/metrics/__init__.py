"""tracklayer.metrics."""
