"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

from karte.security.tests.role_samples_rounds import SPECIAL_PAGES as ROUND_PAGES

SAMPLES = {}
SPECIAL_PAGES = {**ROUND_PAGES}
OFFICE_ADDS = set()
