"""alprd.inference stage."""
