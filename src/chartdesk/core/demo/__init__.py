"""Synthetic demo data: `plan` decides what to create from a seed, `load` writes it through the actions."""
