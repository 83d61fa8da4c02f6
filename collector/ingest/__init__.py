"""Ingest: turn validated agent and scanner reports into observations and asset facts."""
