"""Phasegate: a go/no-go gate and backfill runner for phased data pipelines.

The package is a library first; `phasegate.cli` is a thin Typer layer over it.
"""

__version__ = "0.1.0"
