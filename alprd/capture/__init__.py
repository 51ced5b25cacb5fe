"""alprd.capture stage."""
