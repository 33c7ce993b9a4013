"""Experiments beside the shipped pipeline: they inform choices, nothing ships from them."""
