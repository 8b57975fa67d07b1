"""Data files shipped with the package (coastlines, LOWTRAN7 atmosphere tables)."""
