"""alprd: an edge daemon for automatic licence plate recognition."""

__version__ = "0.1.0"
