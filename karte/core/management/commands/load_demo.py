from django.core.management.base import BaseCommand

from karte.core.demo import DEMO_PASSWORD, demo_loaded, load_demo


class Command(BaseCommand):
    help = "Load the demo prefecture into an empty database (does nothing if there is data)."

    def handle(self, **options):
        if demo_loaded():
            self.stdout.write("デモデータは読み込み済みです。")
            return
        people = load_demo()
        self.stdout.write(self.style.SUCCESS("デモの都道府県を読み込みました。ログインできる利用者:"))
        for person in people:
            self.stdout.write(
                f"  {person.username:<10} / {DEMO_PASSWORD}  ({person.role.label} · {person.last_name})"
            )
