"""Locust-driven performance suite for Python web servers."""

__version__ = "0.1.0"
