from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """A minimal registry module used only by the tests: it exercises every generic piece like a real one."""

    name = "tests.ledger"
    label = "ledger"
    navigation = [("Ledger", "ledger:ledger_list", None)]

    def ready(self):
        from tests.ledger import importers  # noqa: F401
