"""Loads the Phasegate pytest plugin for the gate (checks/)."""

pytest_plugins = ["phasegate.gate.plugin"]
