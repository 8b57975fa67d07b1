"""tracklayer.fusion."""
