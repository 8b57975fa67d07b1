"""tracklayer.sensors."""
