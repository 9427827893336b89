"""Importing the security survey sheet (`karte import security-survey FILE`)."""
