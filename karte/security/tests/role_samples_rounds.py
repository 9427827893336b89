"""Role-matrix entries of the security survey round pages, merged by role_samples.py.

Pages of one round ("round") are walked with every role by karte/security/tests/test_rounds.py, and the
POSTs ("post-only") are forged there too.
"""

SPECIAL_PAGES = {
    "security:round_answers": "round",
    "security:answers_xlsx": "round",
    "security:answer_edit": "round",
    "security:round_compare": "round",
    "security:round_submit": "post-only",
}
