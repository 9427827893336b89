"""Karte: the digital-administration office's registry, surveys and monitoring."""
