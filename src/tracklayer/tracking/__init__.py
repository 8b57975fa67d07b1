"""tracklayer.tracking."""
