"""A package import writes in bulk, without telling search object by object: once it has committed, the
index is refreshed in the background, so what was imported is found."""

from __future__ import annotations

import pytest

from xietong.packages.importer import package_import
from xietong.search.selectors import search

pytestmark = pytest.mark.django_db

PACKAGE = """
version: 1
organization: {name: 恒川}
departments:
  - {code: CS, name: 客户服务部}
  - {code: QA, name: 质量部}
people:
  - {username: lixia, name: 李霞, department: CS, roles: [coordinator]}
processes:
  - code: COMPLAINT
    name: 客户投诉处理
    steps:
      - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h}
      - {code: CP-2, name: 原因分析, responsible: QA, time_limit: 2d}
records:
  cases:
    - process: COMPLAINT
      ref: TS-0001
      title: 批次外观划伤
      opened_at: "2026-03-02T09:30"
      steps:
        - {step: CP-1, started_at: "2026-03-02T09:30"}
"""


def test_what_an_import_wrote_is_found_once_it_has_committed(django_capture_on_commit_callbacks):
    # when: the import commits (the Tasks backend of the tests runs the refresh at once)
    with django_capture_on_commit_callbacks(execute=True):
        package_import(raw=PACKAGE.encode())
    # then: the case, the process, the department and the person are in the index
    from xietong.org.models import Person

    coordinator = Person.objects.get(username="lixia")
    assert [hit.kind for hit in search(coordinator, "划伤")[:10]] == ["case"]
    assert {hit.kind for hit in search(coordinator, "投诉")[:10]} == {"process", "case"}
    assert {hit.kind for hit in search(coordinator, "李霞")[:10]} == {"person"}


def test_a_dry_run_indexes_nothing(django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        package_import(raw=PACKAGE.encode(), dry_run=True)
    # then
    assert callbacks == []
