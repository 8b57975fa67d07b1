"""tracklayer.space."""
