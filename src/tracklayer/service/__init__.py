"""tracklayer.service."""
