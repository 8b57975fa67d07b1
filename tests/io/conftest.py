"""Every CCSDS file written by the io tests is validated by ccsds-ndm as it is written."""

from __future__ import annotations

import pytest

from tests.ccsds_check import ccsds_validated

__all__ = ["ccsds_validated"]


@pytest.fixture(autouse=True)
def _every_ccsds_file_validates(ccsds_validated: list) -> None:
    """Autouse: the io tests' CCSDS files go through :func:`ccsds_validated`."""
