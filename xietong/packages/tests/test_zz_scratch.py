import datetime
import pytest
from xietong.packages.exporter import package_export
from xietong.packages.importer import package_import, ImportFailed

pytestmark = pytest.mark.django_db

def test_scratch(world):
    text = package_export(today=datetime.date(2026, 5, 1))
    print(text[:3000])
    r = package_import(raw=text.encode())
    for c in r.changes:
        print(c.section, c.key, c.action, c.fields)
