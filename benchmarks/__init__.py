"""Measurements of speed, memory and extraction quality (not tests)."""
