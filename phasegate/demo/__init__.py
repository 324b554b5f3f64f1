"""Synthetic demo data for Phasegate (pure generators, no warehouse access)."""
