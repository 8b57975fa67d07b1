"""The package version (also in pyproject.toml), in a module of its own so that any module
may read it without importing the package's public façade."""

__version__ = "0.1.0"
