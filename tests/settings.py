"""Karte's settings plus a test-only registry module (tests.ledger)."""

import tempfile

from karte.settings import *  # noqa: F403
from karte.settings import HUEY, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.ledger"]
ROOT_URLCONF = "tests.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
MEDIA_ROOT = tempfile.mkdtemp(prefix="karte-test-media-")
KARTE_PRIVATE_FILES_DIR = tempfile.mkdtemp(prefix="karte-test-files-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "ja"
