"""Role-matrix entries of the security survey round pages, merged by role_samples.py."""

SPECIAL_PAGES = {}
