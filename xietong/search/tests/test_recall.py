"""Recall and precision, measured as a property: every 1–6 character substring of a document's
Chinese text finds exactly the documents that contain it (no more, no less), and so do dictionary
words and mixed Chinese/English/number queries. Runs on whichever database the suite runs on (CI
runs both); docs/search.md records the larger runs of bench/search_recall.py."""

from __future__ import annotations

import random
import re

import pytest

from xietong.search.selectors import search
from xietong.search.text import normalize

pytestmark = pytest.mark.django_db

CORPUS = [
    ("客户投诉处理流程", "收到客户投诉后，质量部在两个工作日内完成8D报告，并抄送销售部接口人。"),
    ("新产品开发流程", "从立项评审、样机试制到量产导入，研发中心与采购部协同推进，每个阶段召开评审会议。"),
    ("订单交付流程", "销售订单确认后，计划部排产，仓库按时发货；交付延误需提前三天通知客户。"),
    ("采购合同审批", "采购金额超过五十万元的合同须经财务部和总经办会签，ERP系统中留存审批记录。"),
    ("年度预算编制", "2026年度预算编制于十一月启动，各部门负责人提交预算草案，财务部汇总平衡。"),
    ("质量异常升级", "产线发现批量质量异常时，班组长立即停线，质量工程师在两小时内给出临时措施。"),
    ("公司年度会议纪要", "会议决定下周三召开跨部门协调会，明确信息共享平台的发布、更新和查阅责任。"),
    ("供应商准入评估", "新供应商须通过资质审核、现场审核和样品验证，评估结果录入供应商管理系统。"),
    ("员工入职培训", "人力资源部组织新员工入职培训，内容包括公司制度、安全规范和信息系统使用。"),
    ("设备维护保养", "设备部按月制定保养计划，关键设备故障须在四小时内响应，备件库存每周盘点。"),
    ("工程变更管理", "工程变更申请经评审委员会批准后生效，相关图纸、工艺文件和物料清单同步更新。"),
    ("知识库维护规范", "每篇知识页面须指定负责人和复核日期，过期页面每月提醒负责人更新。"),
    ("跨部门协作机制", "部门接口人负责传递需求、跟踪进度；争议在三个工作日内未解决的，升级至分管领导。"),
    ("信息安全管理", "涉密文件按密级分类存放，外发须经部门负责人审批；离职员工账号当日停用。"),
    ("售后服务流程", "客户报修后二十四小时内上门，维修记录录入售后系统，月底统计客户满意度。"),
    ("项目进度汇报", "项目经理每周五提交进度报告，里程碑延误超过一周的，在周例会上说明原因。"),
]

DICTIONARY = [
    "流程",
    "客户",
    "投诉",
    "质量",
    "会议",
    "纪要",
    "采购",
    "合同",
    "审批",
    "预算",
    "供应商",
    "培训",
    "设备",
    "变更",
    "知识",
    "协作",
    "安全",
    "售后",
    "进度",
    "部门",
    "接口人",
    "工作日",
    "负责人",
    "评审",
    "系统",
    "下周三",
    "信息共享",
    "财务部",
    "里程碑",
    "满意度",
    "升级",
    "计划",
]

MIXED = ["8D报告", "ERP系统", "2026年", "2026年度预算", "8d", "erp", "ＥＲＰ系统"]

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture
def corpus(world, make):
    processes = [make.process(f"P{i:02d}", name, body) for i, (name, body) in enumerate(CORPUS)]
    # The same text in a process nobody but its editors may see: never found by an employee.
    hidden = make.process("DRAFT", CORPUS[0][0], CORPUS[0][1], published=False)
    texts = {p.pk: (normalize(f"{p.code} {p.name}"), normalize(p.description)) for p in processes}
    return processes, hidden, texts


def _found(user, query):
    results = search(user, query, kind="process")
    return {hit.object_id for hit in results[0 : results.count()]}


def _expected(texts, query):
    needle = normalize(query)
    return {pk for pk, (title, body) in texts.items() if needle in title or needle in body}


def _substrings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    runs = [run for name, body in CORPUS for run in CJK_RUN.findall(name + "。" + body)]
    found: list[str] = []
    while len(found) < count:
        run = rng.choice(runs)
        length = rng.randint(1, min(6, len(run)))
        start = rng.randint(0, len(run) - length)
        found.append(run[start : start + length])
    return found


def test_every_substring_of_one_to_six_characters_finds_exactly_its_documents(world, corpus):
    _processes, _hidden, texts = corpus
    misses = []
    for query in _substrings(seed=20261127, count=300):
        found, expected = _found(world.employee, query), _expected(texts, query)
        if found != expected:
            misses.append((query, sorted(expected - found), sorted(found - expected)))
    assert misses == []


def test_every_two_character_substring_finds_its_documents(world, corpus):
    _processes, _hidden, texts = corpus
    pairs = sorted(
        {
            run[i : i + 2]
            for name, body in CORPUS
            for run in CJK_RUN.findall(name + "。" + body)
            for i in range(len(run) - 1)
        }
    )
    misses = [q for q in pairs[::3] if _found(world.employee, q) != _expected(texts, q)]
    assert misses == []


@pytest.mark.parametrize("query", DICTIONARY + MIXED)
def test_dictionary_words_and_mixed_queries_find_exactly_their_documents(world, corpus, query):
    _processes, _hidden, texts = corpus
    expected = _expected(texts, query)
    assert expected, f"the corpus should contain {query}"
    assert _found(world.employee, query) == expected


def test_words_absent_from_the_corpus_find_nothing(world, corpus):
    for query in ["会计", "流水", "投资", "年会", "客服", "9D报告", "ERP流程", "2025年"]:
        assert _found(world.employee, query) == set(), query


def test_a_hidden_document_is_never_found_by_those_who_may_not_see_it(world, corpus):
    _processes, hidden, _texts = corpus
    for query in _substrings(seed=7, count=40):
        assert hidden.pk not in _found(world.employee, query), query
    assert hidden.pk in _found(world.coordinator, "客户投诉")
