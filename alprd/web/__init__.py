"""alprd.web stage."""
