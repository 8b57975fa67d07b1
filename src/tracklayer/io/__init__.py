"""tracklayer.io."""
