"""Searching: scope, ranking, facets, literal query syntax, any registered source, query counts."""

from __future__ import annotations

import pytest
from django.db.models import Q

from xietong.org.models import Department
from xietong.search import registry
from xietong.search.registry import Entry, Source
from xietong.search.selectors import SUBSTRING_LIMIT, search
from xietong.search.services import search_index, search_refresh

pytestmark = pytest.mark.django_db


def _found(user, query, kind=None):
    results = search(user, query, kind=kind)
    return [(hit.kind, hit.object_id) for hit in results[0:100]]


@pytest.fixture
def sales_case(world, make):
    """A case of a process run by SALES only: seen by SALES, leadership, coordinators, admins."""
    process = make.process("QUOTE", "报价审批", "销售报价", responsible=world.sales)
    return make.case(process, "Q-1", "华东客户报价争议", "客户要求降价百分之五", opened_by=world.other_department)


def test_a_person_outside_a_cases_scope_never_finds_it(world, sales_case):
    for query in ["报价争议", "华东", "Q-1", "降价", "争"]:
        assert ("case", sales_case.pk) not in _found(world.employee, query), query
        assert ("case", sales_case.pk) not in _found(world.head, query), query
        assert _found(world.employee, query, kind="case") == [], query
        assert ("case", sales_case.pk) in _found(world.other_department, query), query
        assert ("case", sales_case.pk) in _found(world.coordinator, query), query
    # and it is not even counted for them
    results = search(world.employee, "报价争议")
    assert [f.kind for f in results.facets] == []
    assert results.count() == 0


def test_anonymous_visitors_find_nothing(world, sales_case):
    from django.contrib.auth.models import AnonymousUser

    results = search(AnonymousUser(), "报价")
    assert (results.count(), results.facets, results[0:10]) == (0, [], [])


def test_unpublished_processes_are_found_by_editors_only(world, make):
    draft = make.process("IDEA", "创新提案流程", published=False)
    assert _found(world.employee, "创新提案") == []
    assert _found(world.coordinator, "创新提案") == [("process", draft.pk)]


def test_query_syntax_is_taken_literally(world, make):
    # given documents holding the characters query languages treat as syntax
    near = make.process("N1", "NEAR 会议", '会议 "纪要" 50% a_b x:y & | ! (括号)')
    make.process("N2", "会议纪要", "普通文本")
    # when queries are made of such syntax, or use it
    # then they neither fail nor act as operators: only the words count
    assert _found(world.employee, '"') == []
    assert _found(world.employee, "*") == []
    # words "NEAR(会议," and "纪要)": the phrase "near 会议" (N1's title), and 纪要 (both)
    assert _found(world.employee, "NEAR(会议, 纪要)") == [("process", near.pk)]
    assert _found(world.employee, "NEAR(纪要)") == []  # one word: "near 纪要" stand together nowhere
    assert _found(world.employee, "NEAR(") == [("process", near.pk)]
    assert len(_found(world.employee, '"纪要"')) == 2
    assert _found(world.employee, "50%") == [("process", near.pk)]
    assert _found(world.employee, "%") == []
    assert _found(world.employee, "a_b") == [("process", near.pk)]
    assert _found(world.employee, "_") == []
    assert _found(world.employee, "x:y") == [("process", near.pk)]
    assert _found(world.employee, "&|!") == []
    assert _found(world.employee, "(括号)") == [("process", near.pk)]
    assert _found(world.employee, "' OR 1=1 --") == []
    assert _found(world.employee, "会议 -纪要 OR NOT") == []


def test_mixed_chinese_english_and_numbers(world, make):
    report = make.process("R1", "质量问题", "请在2026年度第一季度提交8D报告，并更新ERP系统。")
    other = make.process("R2", "8D方法培训", "ERP 上线后的 2026 计划")
    assert _found(world.employee, "8D报告") == [("process", report.pk)]
    assert _found(world.employee, "ERP系统") == [("process", report.pk)]
    assert _found(world.employee, "2026年") == [("process", report.pk)]
    assert sorted(_found(world.employee, "2026")) == sorted([("process", report.pk), ("process", other.pk)])
    assert _found(world.employee, "ｅｒｐ系统") == [("process", report.pk)]


def test_every_term_must_match(world, make):
    both = make.process("T1", "客户投诉", "质量部处理")
    make.process("T2", "客户回访", "销售部处理")
    assert _found(world.employee, "客户 质量") == [("process", both.pk)]
    assert _found(world.employee, "客户 质 投诉") == [("process", both.pk)]


def test_title_matches_rank_above_body_matches(world, make):
    in_body = make.process("B1", "年度计划", "本流程说明客户投诉的处理方法，客户投诉须及时处理。")
    in_title = make.process("B2", "客户投诉", "处理方法")
    assert _found(world.employee, "投诉") == [("process", in_title.pk), ("process", in_body.pk)]
    assert _found(world.employee, "诉") == [("process", in_title.pk), ("process", in_body.pk)]


def test_facets_count_every_kind_and_the_kind_filter_narrows(world, sales_case):
    search_refresh("person")
    search_refresh("department")
    results = search(world.coordinator, "销售")
    assert [(f.kind, f.count) for f in results.facets] == [("person", 1), ("department", 1), ("process", 1)]
    assert results.count() == 3
    narrowed = search(world.coordinator, "销售", kind="department")
    assert (narrowed.count(), narrowed.total_all) == (1, 3)
    assert [(h.kind, h.object_id) for h in narrowed[0:10]] == [("department", world.sales.pk)]
    assert search(world.coordinator, "销售", kind="nope").kind is None  # an unknown kind filters nothing


def test_a_single_character_is_a_substring_search_with_a_limit(world, make):
    for i in range(3):
        make.process(f"S{i}", f"流程{i}")
    results = search(world.employee, "程")
    assert (results.is_substring, results.count()) == (True, 3)
    from xietong.search import selectors

    old = selectors.SUBSTRING_LIMIT
    selectors.SUBSTRING_LIMIT = 2
    try:
        capped = search(world.employee, "程")
        assert capped.count() == 2
        assert len(capped[0:10]) == 2
    finally:
        selectors.SUBSTRING_LIMIT = old
    assert SUBSTRING_LIMIT == 200


def test_results_page_through_in_rank_order(world, make):
    made = [make.process(f"PG{i:02d}", f"客户流程{i:02d}") for i in range(25)]
    results = search(world.employee, "客户")
    first, second = results[0:20], results[20:40]
    assert (len(first), len(second)) == (20, 5)
    assert sorted(h.object_id for h in first + second) == sorted(p.pk for p in made)


def test_a_source_registered_by_another_app_is_searched_within_its_scope(world):
    # given a kind this app knows nothing of: memos, seen only by the people of their department
    # (departments stand in for the memos' rows here)
    def entries(pks):
        qs = Department.objects.all() if pks is None else Department.objects.filter(pk__in=pks)
        for d in qs:
            yield d.pk, Entry(title=f"{d.name}备忘录", body="<b>机密</b>预算调整", url=f"/memos/{d.pk}/")

    def visible(user):
        return Department.objects.filter(Q(pk=user.department_id))

    registry.register_source(Source(kind="memo", label="Memos", entries=entries, visible=visible, order=5))
    try:
        search_index("memo", [world.sales.pk, world.rd_hw.pk])
        # when people of two departments search for it
        other = search(world.other_department, "预算调整")
        mine = search(world.employee, "预算调整")
        # then each finds only their department's memo, highlighted safely
        assert [(h.kind, h.object_id) for h in other[0:10]] == [("memo", world.sales.pk)]
        assert [(h.kind, h.object_id) for h in mine[0:10]] == [("memo", world.rd_hw.pk)]
        assert str(other[0:1][0].snippet_html) == "&lt;b&gt;机密&lt;/b&gt;<mark>预算调整</mark>"
        assert [f.kind for f in other.facets] == ["memo"]
    finally:
        registry._sources.pop("memo")
    # and once the source is gone, its entries are never returned
    assert search(world.other_department, "预算调整").count() == 0


def test_every_registered_source_can_be_searched(world, all_sources):
    """Every source registered by any app compiles into the query (its tables must exist)."""
    kinds = {s.kind for s in registry.sources()}
    assert {"person", "department", "process", "case"} <= kinds
    for user in (world.employee, world.admin):
        results = search(user, "会议纪要")
        assert results.count() == 0
        assert results[0:10] == []


@pytest.mark.parametrize("size", [2, 12])
def test_a_search_costs_the_same_queries_whatever_the_data_size(world, make, django_assert_num_queries, size):
    process = make.process("CS", "客户投诉处理", responsible=world.rd_hw)
    for i in range(size):
        make.process(f"CS{i}", f"客户投诉{i}")
        make.case(process, f"C-{i}", f"客户投诉案例{i}", opened_by=world.employee)
    # cases_visible_to reads the departments the employee leads (1) and the tree (cached after the
    # first call); then one query counts per kind, one fetches the page
    search(world.employee, "投诉")  # warm the department-tree cache
    with django_assert_num_queries(3):
        results = search(world.employee, "客户投诉")
        hits = results[0:20]
    assert len(hits) == min(20, 2 * size + 1)


def test_an_entry_whose_object_nobody_may_see_is_never_returned_whatever_its_kind(world, all_sources):
    """For every registered source (this app's and the other apps'): an index row whose object is not
    among those ``visible`` returns (here: an id no object has) is never found, by query or by kind."""
    from xietong.search.models import Document

    kinds = [s.kind for s in registry.sources()]
    Document.objects.bulk_create(
        Document(
            kind=kind,
            object_id=999_999,
            title="绝密调查报告",
            body="绝密",
            url="/x/",
            title_terms="绝密 密调 调查 查报 报告",
            body_terms="绝密",
            fingerprint="x",
            indexed_at="2026-01-01T00:00:00Z",
        )
        for kind in kinds
    )
    for user in (world.employee, world.head, world.coordinator, world.admin):
        assert search(user, "绝密调查").count() == 0
        assert search(user, "密").count() == 0
        for kind in kinds:
            assert search(user, "绝密", kind=kind)[0:10] == []
