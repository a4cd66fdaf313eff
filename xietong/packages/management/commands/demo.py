from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

import xietong.demo
from xietong.org.models import Organization, Person
from xietong.packages.importer import package_import

DEMO_PACKAGE = Path(xietong.demo.__file__).parent / "company.yaml"
DEMO_PASSWORD = "xietong-demo"
# (username, what they show) for the sign-ins printed on the console.
DEMO_SIGN_INS = [
    ("lijunjie", "administrator / 系统管理员"),
    ("hejing", "coordinator, head of the coordination office / 协同推进办公室主任"),
    ("wangjianguo", "general manager / 总经理"),
    ("liuzhiqiang", "department head (R&D) / 研发中心总监"),
    ("wangfang", "liaison (domestic sales) / 国内销售部接口人"),
    ("guopeng", "employee / 硬件工程师"),
]


class Command(BaseCommand):
    help = "Load the demo company (once) and run xietong at http://127.0.0.1:8000 on the embedded database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="load the demo data and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Organization.objects.exists():
            self.stdout.write("Loading the demo company …")
            with transaction.atomic():
                package_import(raw=DEMO_PACKAGE.read_bytes())
                # One hash for every demo account: hashing 160 passwords with Argon2 would take a while.
                Person.objects.filter(is_active=True).update(password=make_password(DEMO_PASSWORD))
        self.stdout.write(self.style.SUCCESS(f"Demo sign-ins (password for everyone: {DEMO_PASSWORD}):"))
        known = set(
            Person.objects.filter(username__in=[u for u, _ in DEMO_SIGN_INS]).values_list("username", flat=True)
        )
        for username, role in DEMO_SIGN_INS:
            if username in known:
                self.stdout.write(f"  {username:<14} {role}")
        if not options["no_serve"]:
            call_command("serve", bind=options["bind"], no_migrate=True)
