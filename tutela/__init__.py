"""Tutela: an organisation's data-protection policy, run as software."""

__version__ = "0.1.0"
