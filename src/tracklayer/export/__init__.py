"""Exports of a run folder in the standards other tools read (``tracklayer export``)."""
