"""alprd.storage stage."""
