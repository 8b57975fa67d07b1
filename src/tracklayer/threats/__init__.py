"""tracklayer.threats."""
