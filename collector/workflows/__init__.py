"""Driving differences to closure: working the exception queue (assign, comment, acknowledge)."""
