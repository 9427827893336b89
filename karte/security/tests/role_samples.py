"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

from karte.security.tests.role_samples_rounds import SPECIAL_PAGES as ROUND_PAGES
from karte.systems.models import System

# No model of this app is served by the generic record views: the profile is read on the system's
# karte (a section of systems:system_detail) and changed on its own page.
SAMPLES = {}
SPECIAL_PAGES = {
    "security:coverage": "members",
    "security:profile_edit": ("record-change", System),
    **ROUND_PAGES,
}
OFFICE_ADDS = set()
