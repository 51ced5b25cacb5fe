"""alprd: an edge daemon for automatic licence plate recognition."""

from alprd import _moved

__version__ = "0.1.0"

_moved.install()
