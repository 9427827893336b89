"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

SAMPLES = {}
SPECIAL_PAGES = {}
OFFICE_ADDS = set()
