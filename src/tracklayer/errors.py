"""Errors a user can cause, each carrying a message that says what to fix.

The command line turns any :class:`TracklayerError` into its message on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations


class TracklayerError(Exception):
    """Base class of every error caused by user input (files, options, payloads)."""


class ScenarioError(TracklayerError):
    """A scenario file is missing, unreadable, not YAML, or fails validation.

    The message lists one problem per line, each starting with its field path,
    e.g. ``space.constellations[1].planes: must be >= 1, got 0``.
    """


class InputFormatError(TracklayerError):
    """A data file (TLE, OMM, CCSDS OEM/TDM, Parquet) is malformed.

    The message names the file and the line or record at fault.
    """
