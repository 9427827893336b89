"""`karte serve`: the web app and a background worker together, stopped together with Ctrl-C."""

import contextlib
import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand

from karte.core.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Serve the web app (gunicorn) and run a Huey worker until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KARTE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("KARTE_WEB_WORKERS", "2")))

    def handle(self, bind, web_workers, **options):
        bin_dir = os.path.dirname(sys.executable)
        # Our own executables from this virtual environment, with fixed arguments.
        worker = subprocess.Popen([os.path.join(bin_dir, "karte"), "run_huey", "--flush-locks"])  # noqa: S603
        web = subprocess.Popen(  # noqa: S603
            [
                os.path.join(bin_dir, "gunicorn"),
                "karte.wsgi",
                "--bind",
                bind,
                "--workers",
                str(web_workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nKarte: http://{bind}/  （ログイン例: office / {DEMO_PASSWORD}、停止は Ctrl-C）\n"
            )
        )
        children = [web, worker]

        def stop(*_args):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            # Either process ending ends both: a server without its worker would queue work forever.
            while all(child.poll() is None for child in children):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    web.wait(timeout=1)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                child.wait(timeout=30)
