"""The demo company's knowledge base and progress updates, written through the services (the package
format has no section for them), each at the instant it was written in the story, so that version
histories, review dates and the feed look lived-in.

Loaded by ``xietong demo`` after the packages (company.yaml, processes.yaml, collaboration.yaml).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from xietong.common import clock
from xietong.knowledge.models import Page, Space
from xietong.knowledge.services import page_create, page_update, space_create
from xietong.org.models import Department, Person
from xietong.processes.models import Case
from xietong.progress.services import post_create

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


ACTION_PLAN = """\
行动计划自 2026 年 6 月起实施，目标是打破部门壁垒、缩短交接时间、让争议在三个工作日内有结论。

## 四项机制

1. **目标对齐**：公司年度目标分解到部门，每季度召开战略复盘会。
2. **统一信息平台**：重要通知必须书面回执，知识库页面有责任人和复核日期。
3. **例会制度**：每月领导协调会、每周接口人周会、专题会按需召开，会议决议形成待办并跟踪到关闭。
4. **争议快速处理**：部门负责人先协商，三个工作日未解决自动升级至总经理，仍未解决提交协调委员会。

## 衡量指标

| 指标 | 2026 年 6 月 | 目标（12 月） |
| --- | --- | --- |
| 流程步骤按时率 | 68% | 90% |
| 交接时间中位数 | 4 小时 | 1 小时 |
| 争议一级解决率 | 40% | 80% |
| 通知按时回执率 | 62% | 95% |
"""

LIAISON_GUIDE = """\
每个部门指定一名接口人（必要时一名副接口人），作为跨部门协作的第一联系人。

## 职责

- 参加每周一上午 10:00 的接口人周会，带来本部门需要协调的事项；
- 在系统中跟进本部门流程步骤的交接，逾期前主动提醒；
- 汇总本部门未按时回执的通知，督促同事确认；
- 发起或参与部门间争议的协商，必要时申请升级。

## 联系方式

接口人名单见[部门列表](/org/departments/)。
"""

DISPUTE_GUIDE = """\
部门之间出现分歧时，**先协商、限时升级、书面确认**。

1. 任一当事部门在系统中发起争议，写明背景和诉求；
2. 各方负责人在三个工作日内协商，一方提出解决方案，其他各方书面确认后生效；
3. 超时未解决的争议由系统自动升级到总经理（两个工作日），再升级到跨部门协调委员会（五个工作日）；
4. 裁决结果记录在争议时间线中，可在搜索中作为先例查询。

质量相关争议走“质量争议升级路径”，第二级由质量改进委员会评审。
"""

EIGHT_D = """\
8D 报告用于客户投诉和重大质量问题的根因分析。

## 时限

- D3 临时措施：投诉登记后 **1 个工作日** 内；
- 完整 8D 报告：**5 个工作日** 内提交客服部。

## 要点

- D4 根因必须有数据支持（不良样品分析、过程数据）；
- D5/D6 永久措施需要生产、工艺部门会签；
- D8 关闭前由客服部确认客户已接受答复。
"""

INCOMING = """\
2026 版来料检验标准自 7 月 1 日起执行，主要变化：

- 连接器、线束类物料抽样水平由 II 级调整为 III 级；
- 新增供应商批次追溯码要求；
- 来料不良由采购部牵头索赔，质量部出具检验报告。
"""

NPI_CHECKLIST = """\
新品导入（NPI）评审清单，研发中心与工艺、质量共同维护。

- [ ] BOM 冻结并完成替代料认证
- [ ] 可制造性评审（DFM）意见已关闭
- [ ] 试产首件检验通过
- [ ] 测试验证报告已归档
"""

XTO_PLAN = """\
四季度协同推进重点（内部工作稿）：

1. 交接时间中位数降到 1 小时以内：重点盯订单交付流程的物料计划步骤；
2. 争议一级解决率达到 80%：每周接口人周会通报超时争议；
3. 12 月开展年度协作满意度调查。
"""

RETROSPECTIVE = """\
## 背景

6 月中旬，华东某客户反馈一批传感器外壳存在划伤，要求 3 天内答复。

## 经过

- 6 月 16 日客服部登记投诉，当天转质量部分析；
- 原因分析步骤超时 1.5 个工作日：装配车间与仓储部对划伤发生环节各执一词；
- 6 月 23 日确认为周转箱隔板缺失导致，客户接受答复。

## 做得好的

- 客服部 2 小时内完成登记和分级；
- 质量部组织了现场联合排查。

## 待改进

- 责任环节不清时没有及时发起争议，双方邮件往来耗时两天；
- 临时措施（D3）未在 1 个工作日内提交。

## 行动项

| 行动项 | 负责人 | 完成时间 |
| --- | --- | --- |
| 周转箱增加隔板检查点 | 仓储部 | 7 月 10 日 |
| 责任不清的问题 1 天内在系统中发起争议 | 各部门接口人 | 立即 |
"""


def _person(username: str) -> Person:
    return Person.objects.get(username=username)


def _dept(code: str) -> Department:
    return Department.objects.get(code=code)


def _page(
    space: Space, when: str, author: str, title: str, body: str, *, review_by: date, template: str = "blank"
) -> Page:
    with clock.freeze(at(when)):
        return page_create(
            actor=_person(author),
            space=space,
            title=title,
            body=body,
            owner=_person(author),
            review_by=review_by,
            template=template,
            summary="初稿",
        )


def _revise(page: Page, when: str, author: str, body: str, summary: str) -> None:
    page.refresh_from_db()
    with clock.freeze(at(when)):
        page_update(actor=_person(author), page=page, title=page.title, body=body, summary=summary)


@transaction.atomic
def load_demo_content() -> None:
    with clock.freeze(at("2026-06-01T08:40")):
        rules = space_create(
            actor=_person("hejing"),
            name="协作制度与规范",
            description="跨部门协作的制度、指引和模板，由协同推进办公室维护。",
        )
        quality = space_create(
            actor=_person("zhengxiaoguang"),
            name="质量部知识库",
            description="质量标准、8D 方法和质量案例。",
            department=_dept("QA"),
        )
        rd = space_create(
            actor=_person("liuzhiqiang"),
            name="研发中心 · 新品导入",
            description="新品导入的评审清单和经验，研发、工艺、质量共享。",
            department=_dept("RD"),
            visibility=Space.Visibility.DEPARTMENTS,
            reader_departments=[_dept("MFG-PE"), _dept("QA")],
        )
        xto = space_create(
            actor=_person("hejing"),
            name="协同推进办公室（内部）",
            description="推进计划和内部工作稿。",
            department=_dept("XTO"),
            visibility=Space.Visibility.PRIVATE,
        )
    plan = _page(
        rules,
        "2026-06-01T09:00",
        "hejing",
        "跨部门协作沟通促进行动计划（要点）",
        ACTION_PLAN,
        review_by=date(2026, 12, 31),
    )
    _revise(
        plan,
        "2026-09-07T09:10",
        "hejing",
        ACTION_PLAN + "\n三季度起，交接时间按工作时间统计（含法定节假日与调休）。\n",
        "补充交接时间统计口径",
    )
    _page(rules, "2026-06-15T10:10", "yuanxiaofeng", "接口人工作指引", LIAISON_GUIDE, review_by=date(2027, 3, 31))
    guide = _page(
        rules, "2026-07-20T14:10", "hejing", "争议快速处理机制说明", DISPUTE_GUIDE, review_by=date(2027, 1, 31)
    )
    _revise(
        guide,
        "2026-08-03T11:00",
        "tangmin",
        DISPUTE_GUIDE + "\n争议各方负责人的书面确认在系统中完成，不再另行签字。\n",
        "明确书面确认方式",
    )
    _page(quality, "2026-06-20T15:00", "zhengxiaoguang", "8D 报告编写指南", EIGHT_D, review_by=date(2026, 11, 15))
    _page(
        quality, "2026-07-01T09:40", "zenglihua", "来料检验标准（2026 版）摘要", INCOMING, review_by=date(2026, 10, 31)
    )
    _page(
        quality,
        "2026-06-26T16:00",
        "zenglihua",
        "复盘：6 月批次外观划伤客诉",
        RETROSPECTIVE,
        review_by=date(2027, 6, 30),
        template="retrospective",
    )
    _page(rd, "2026-08-10T10:00", "songjie", "新品导入评审清单", NPI_CHECKLIST, review_by=date(2027, 2, 28))
    _page(xto, "2026-10-08T09:30", "hejing", "四季度协同推进重点", XTO_PLAN, review_by=date(2026, 12, 31))

    posts = [
        ("2026-11-02T17:00", "songjie", "RD", None, "NPD 新品 S-200 完成 DFM 评审，工艺意见已全部关闭。"),
        ("2026-11-10T16:30", "liming", "SCM-PLAN", None, "11 月订单交付物料齐套率 96%，较 10 月提升 4 个百分点。"),
        ("2026-11-18T11:20", "hepengfei", "CS", None, "客诉登记平均用时降至 1.2 小时，热线组两班倒运行平稳。"),
        ("2026-11-24T15:45", "zenglihua", "QA", None, "本周 8D 报告全部按时提交，临时措施平均 0.6 个工作日完成。"),
    ]
    for when, author, code, _case, body in posts:
        with clock.freeze(at(when)):
            post_create(actor=_person(author), body=body, department=_dept(code))
    running = list(Case.objects.filter(state=Case.State.RUNNING).select_related("process").order_by("-opened_at")[:3])
    notes = [
        "已与客户确认交期，物料预计本周四到齐。",
        "原因分析已完成初稿，等待工艺部会签。",
        "样机已送测，预计下周一出报告。",
    ]
    for case, note in zip(running, notes, strict=False):
        contact = case.opened_by or _person("hejing")
        with clock.freeze(max(case.opened_at, at("2026-11-25T10:00"))):
            post_create(actor=contact, body=note, case=case)
