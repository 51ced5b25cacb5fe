"""Training tools for alprd's own models (not part of the runtime package)."""
