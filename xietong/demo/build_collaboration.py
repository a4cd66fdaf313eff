"""Generate ``collaboration.yaml``: the demo company's escalation ladders, disputes and notices.

Run from the repository root::

    .venv/bin/python xietong/demo/build_collaboration.py

The output is deterministic (``random.Random(2027)``). It reads ``company.yaml`` beside this file
for the organization's schedule, the departments (heads, liaisons) and the people (notice
recipients), and uses :mod:`xietong.common.worktime` so that every instant falls inside working
hours and every dispute climbs the ladder exactly as the story wants.

The story the dashboards tell: from June to November 2026 departments raise about thirty
disputes. In early summer half of them drag past the three working days of negotiation and
climb to the general manager on their own; from September the heads settle most of them at
level 1 within a day or two. Notices from the coordination office go to everyone and must be
acknowledged within two working days; the on-time acknowledgement rate climbs from about
60% to over 90%. A few disputes are still open at 2026-11-27 (one of them past its
negotiation deadline), and the latest notice is still collecting acknowledgements.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository root

from xietong.common.worktime import Schedule, parse_duration  # noqa: E402
from xietong.demo.build_processes import COMPANY, Schedules  # noqa: E402

OUTPUT = HERE / "collaboration.yaml"
SEED = 2027
NOW = "2026-11-27T16:00"  # the demo's "today": nothing happens after it

LADDERS: list[dict[str, Any]] = [
    {
        "code": "STD",
        "name": "标准升级路径",
        "default": True,
        "levels": [
            {"name": "部门负责人协商", "handler": "heads_of_parties", "time_limit": "3d"},
            {"name": "总经理裁决", "handler": "person:wangjianguo", "time_limit": "2d"},
            {"name": "协调委员会仲裁", "handler": "committee:XT-COMM", "time_limit": "5d"},
        ],
    },
    {
        "code": "QUALITY",
        "name": "质量争议升级路径",
        "levels": [
            {"name": "部门负责人协商", "handler": "heads_of_parties", "time_limit": "2d"},
            {"name": "质量改进委员会评审", "handler": "committee:QIC", "time_limit": "3d"},
            {"name": "总经理裁决", "handler": "person:wangjianguo", "time_limit": "2d"},
        ],
    },
]

# (parties, ladder, title, description, how it was settled)
TOPICS = [
    (
        ["SALES-DOM", "SCM-PLAN"],
        "STD",
        "紧急插单导致排产冲突",
        "客户追加订单要求两周内交付，计划物流部认为产能已排满。",
        "分两批交付，首批优先保障重点客户。",
    ),
    (
        ["RD-HW", "MFG-PE"],
        "STD",
        "工艺评审意见未被采纳",
        "工艺工程部提出的可制造性意见在设计冻结前未被处理。",
        "设计变更纳入下一版本，工艺部参与评审会签。",
    ),
    (
        ["QA", "SCM-PUR"],
        "QUALITY",
        "来料不良责任归属",
        "一批连接器来料不良，质量部与采购部对供应商索赔责任有分歧。",
        "由采购部牵头索赔，质量部出具检验报告。",
    ),
    (
        ["CS", "QA"],
        "QUALITY",
        "客诉8D报告时限争议",
        "客服部要求三天内提交8D报告，质量部认为需要五天完成根因分析。",
        "先提交临时措施（D3），完整8D报告五个工作日内提交。",
    ),
    (
        ["SALES-INTL", "FIN"],
        "STD",
        "海外订单账期审批",
        "海外销售部申请90天账期，财务部要求信用保险覆盖。",
        "投保信用保险后按90天账期执行。",
    ),
    (
        ["MFG-ASM", "SCM-WH"],
        "STD",
        "配料错误责任认定",
        "装配线因配料错误停线两小时，双方对责任认定不一致。",
        "仓储部增加出库复核，停线损失按比例分摊。",
    ),
    (
        ["RD-SW", "RD-TEST"],
        "STD",
        "版本提测标准不一致",
        "软件研发部与测试验证部对提测准入标准理解不同。",
        "统一提测检查单，冒烟测试通过后方可提测。",
    ),
    (
        ["SALES-MKT", "RD"],
        "STD",
        "展会样机借用冲突",
        "市场部展会需借用样机，研发中心样机同期用于可靠性试验。",
        "研发中心提供两台样机，展会后优先返还。",
    ),
    (
        ["IT", "FIN"],
        "STD",
        "ERP权限变更流程",
        "财务部要求当天开通权限，IT信息部要求走完审批流程。",
        "紧急权限可先开通24小时，次日补齐审批。",
    ),
    (
        ["HR", "MFG"],
        "STD",
        "跨部门借调工时核算",
        "生产旺季借调人员的工时由哪个部门承担存在分歧。",
        "借调工时由用人部门承担，人力资源部按月核算。",
    ),
    (
        ["SCM-PUR", "RD-HW"],
        "QUALITY",
        "替代料认证周期",
        "采购部希望尽快导入替代料，研发中心要求完整认证。",
        "关键料号完整认证，非关键料号简化认证。",
    ),
    (
        ["CS-400", "SALES-DOM"],
        "STD",
        "客户回访责任划分",
        "客户回访由热线组还是销售部负责意见不一。",
        "售后问题由热线组回访，商务问题由销售部回访。",
    ),
    (
        ["MFG-MACH", "MFG-PE"],
        "STD",
        "夹具改进优先级",
        "机加车间要求优先改进夹具，工艺工程部排期已满。",
        "纳入本月工艺改进计划，每周跟进。",
    ),
    (
        ["QA", "MFG-ASM"],
        "QUALITY",
        "首件检验放行权限",
        "夜班首件检验无人放行导致等待。",
        "授权班组长经培训后放行首件，质量部抽检。",
    ),
    (["SALES-DOM", "FIN"], "STD", "销售返利核算口径", "返利按开票还是回款核算存在分歧。", "按回款口径核算，季度结算。"),
    (
        ["RD", "SCM"],
        "STD",
        "新品物料提前采购",
        "新品试产物料是否提前采购，供应链担心呆滞风险。",
        "研发中心确认BOM冻结后采购，呆滞风险由项目承担。",
    ),
]
MONTHS = [6, 7, 8, 9, 10, 11]
DISPUTES_PER_MONTH = [4, 5, 5, 6, 5, 4]
# By month: the share settled at level 1 in time, escalated by hand, left to climb on its own, withdrawn.
OUTCOMES = [
    (0.40, 0.15, 0.35, 0.10),
    (0.45, 0.15, 0.30, 0.10),
    (0.55, 0.15, 0.22, 0.08),
    (0.68, 0.12, 0.14, 0.06),
    (0.78, 0.10, 0.08, 0.04),
    (0.85, 0.08, 0.05, 0.02),
]
NOTICES = [
    (
        "2026-06-01T09:00",
        "hejing",
        "all",
        "《跨部门协作沟通促进行动计划》正式发布",
        "行动计划自6月起实施，请各部门组织学习并确认。",
        True,
    ),
    ("2026-06-15T10:00", "hejing", "all", "接口人制度及周例会安排", "各部门接口人每周一上午10点参加接口人周会。", True),
    (
        "2026-07-01T09:30",
        "zhengxiaoguang",
        ["QA", "MFG", "SCM-PUR"],
        "来料检验标准（2026版）生效",
        "新版来料检验标准自7月1日起执行，附件为标准全文。",
        True,
    ),
    (
        "2026-07-20T14:00",
        "hejing",
        "all",
        "争议快速处理机制说明",
        "部门间争议先由负责人协商，三个工作日未解决自动升级至总经理。",
        True,
    ),
    (
        "2026-08-03T09:00",
        "mengqingwei",
        ["SCM", "SALES"],
        "国庆前订单截止安排",
        "国庆节前发货订单须于9月15日前确认。",
        True,
    ),
    (
        "2026-08-24T11:00",
        "hejing",
        "all",
        "跨部门协作满意度调查通知",
        "三季度满意度调查将于9月下旬开展，请各部门准备。",
        False,
    ),
    (
        "2026-09-07T09:00",
        "hejing",
        "all",
        "核心流程时限调整通知",
        "订单交付流程物料计划步骤时限调整为1个工作日。",
        True,
    ),
    (
        "2026-09-25T15:00",
        "fanli",
        "all",
        "国庆节放假及调休安排",
        "10月1日至8日放假，9月28日（周日）、10月10日（周六）上班。",
        True,
    ),
    (
        "2026-10-12T09:00",
        "liuzhiqiang",
        ["RD", "MFG-PE", "QA"],
        "新品导入评审流程更新",
        "新品导入评审增加可制造性会签环节。",
        True,
    ),
    (
        "2026-10-26T10:00",
        "hejing",
        "all",
        "协作案例复盘分享会",
        "本周五下午举行三季度协作案例复盘分享会，欢迎参加。",
        False,
    ),
    ("2026-11-09T09:00", "hejing", "all", "四季度协作改进重点", "四季度重点改进交接时效和争议一级解决率。", True),
    (
        "2026-11-26T14:00",
        "qianyonggang",
        ["MFG", "SCM-WH"],
        "年末盘点安排",
        "12月第一周进行年末盘点，请各车间配合。",
        True,
    ),
]
ACK_RATE = {6: 0.80, 7: 0.86, 8: 0.9, 9: 0.94, 10: 0.96, 11: 0.97}  # by month of publication
ON_TIME = {6: 0.62, 7: 0.70, 8: 0.78, 9: 0.86, 10: 0.9, 11: 0.93}


def fmt(moment: datetime, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def q(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return q(value)


def working_instant(rng: random.Random, schedule: Schedule, month: int, tz: Any) -> datetime:
    first = date(2026, month, 1)
    last = date(2026, month + 1, 1) - timedelta(days=1) if month < 12 else date(2026, 12, 31)
    last = min(last, date(2026, 11, 20))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    day = rng.choice([d for d in days if schedule.is_working_day(d)])
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return schedule.add_working_time(start, timedelta(minutes=rng.randint(20, 400)))


def build_disputes(
    rng: random.Random, schedule: Schedule, departments: dict[str, Any], people: dict[str, list[str]]
) -> list[dict[str, Any]]:
    tz = schedule.tz
    day = schedule.day_length
    limits = {
        ladder["code"]: [parse_duration(level["time_limit"]).to_timedelta(schedule) for level in ladder["levels"]]
        for ladder in LADDERS
    }
    disputes: list[dict[str, Any]] = []
    number = 0
    for month, count in zip(MONTHS, DISPUTES_PER_MONTH, strict=True):
        for _ in range(count):
            number += 1
            parties, ladder, title, description, settlement = TOPICS[(number * 7) % len(TOPICS)]
            opened = working_instant(rng, schedule, month, tz)
            raiser_dept = parties[0]
            raised_by = departments[raiser_dept].get("liaison") or departments[raiser_dept]["head"]
            heads = [departments[p]["head"] for p in parties]
            level_1, level_2 = limits[ladder][0], limits[ladder][1]
            events: list[dict[str, Any]] = []
            comment_at = schedule.add_working_time(opened, day * rng.uniform(0.1, 0.6))
            events.append(
                {"at": fmt(comment_at, tz), "type": "comment", "by": heads[1], "note": "已收到，本部门正在评估影响。"}
            )
            p_l1, p_manual, p_auto, _p_withdraw = OUTCOMES[month - 6]
            roll = rng.random()
            if roll < p_l1:  # settled by the heads within the negotiation time
                resolved = schedule.add_working_time(
                    opened, level_1 * rng.uniform(0.25, 0.95) * (1.0 if month < 9 else 0.6)
                )
                resolved = max(resolved, comment_at + timedelta(minutes=30))
                events.append({"at": fmt(resolved, tz), "type": "resolve", "by": heads[0], "note": settlement})
            elif roll < p_l1 + p_manual:  # a party escalates by hand, the general manager decides
                escalated = schedule.add_working_time(opened, level_1 * rng.uniform(0.4, 0.9))
                escalated = max(escalated, comment_at + timedelta(minutes=30))
                events.append(
                    {
                        "at": fmt(escalated, tz),
                        "type": "escalate",
                        "by": heads[0],
                        "note": "协商未达成一致，申请上级裁决。",
                    }
                )
                decided = schedule.add_working_time(escalated, level_2 * rng.uniform(0.3, 0.9))
                events.append(
                    {"at": fmt(decided, tz), "type": "resolve", "by": level_2_handler(ladder), "note": settlement}
                )
            elif roll < p_l1 + p_manual + p_auto:  # nobody moves: it climbs on its own at the deadline
                climbed = schedule.add_working_time(opened, level_1)
                decided = schedule.add_working_time(climbed, level_2 * rng.uniform(0.3, 0.9))
                events.append(
                    {"at": fmt(decided, tz), "type": "resolve", "by": level_2_handler(ladder), "note": settlement}
                )
            else:
                withdrawn = schedule.add_working_time(opened, level_1 * rng.uniform(0.2, 0.7))
                withdrawn = max(withdrawn, comment_at + timedelta(minutes=30))
                events.append(
                    {
                        "at": fmt(withdrawn, tz),
                        "type": "withdraw",
                        "by": raised_by,
                        "note": "双方已线下沟通解决，撤回争议。",
                    }
                )
            disputes.append(dispute_record(number, parties, ladder, title, description, raised_by, opened, events, tz))
    # Still open today: one fresh, one escalated by hand yesterday, one past its negotiation deadline.
    now = datetime.fromisoformat(NOW).replace(tzinfo=schedule.tz)
    for offset, kind in ((day * 0.5, "fresh"), (day * 2.5, "escalated"), (day * 4, "climbing")):
        number += 1
        parties, ladder, title, description, _settlement = TOPICS[(number * 5) % len(TOPICS)]
        opened = back_working_time(schedule, now, offset)
        raised_by = departments[parties[0]].get("liaison") or departments[parties[0]]["head"]
        heads = [departments[p]["head"] for p in parties]
        events = [
            {
                "at": fmt(schedule.add_working_time(opened, timedelta(hours=1)), tz),
                "type": "comment",
                "by": heads[1],
                "note": "请提供更多数据。",
            }
        ]
        if kind == "escalated":
            escalated = schedule.add_working_time(opened, day * 1.5)
            events.append(
                {"at": fmt(escalated, tz), "type": "escalate", "by": heads[0], "note": "对方不同意方案，申请上级裁决。"}
            )
        disputes.append(dispute_record(number, parties, ladder, title, description, raised_by, opened, events, tz))
    del people
    disputes.sort(key=lambda d: d["opened_at"])
    for index, record in enumerate(disputes, start=1):  # references in the order they were raised
        record["ref"] = f"D-2026-{index:03d}"
    return disputes


def level_2_handler(ladder: str) -> str:
    return "wangjianguo" if ladder == "STD" else "chenzhiyuan"  # QIC's chair decides for the committee


def back_working_time(schedule: Schedule, end: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of working time before ``end`` (to the minute)."""
    start = end - duration
    while schedule.working_time(start, end) < duration:
        start -= timedelta(hours=4)
    while schedule.working_time(start + timedelta(minutes=1), end) >= duration:
        start += timedelta(minutes=1)
    return start


def dispute_record(
    number: int,
    parties: list[str],
    ladder: str,
    title: str,
    description: str,
    raised_by: str,
    opened: datetime,
    events: list[dict[str, Any]],
    tz: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ref": f"D-2026-{number:03d}",
        "title": title,
        "description": description,
        "parties": parties,
        "raised_by": raised_by,
    }
    if ladder != "STD":
        record["ladder"] = ladder
    record["opened_at"] = fmt(opened, tz)
    record["events"] = events
    return record


def build_notices(
    rng: random.Random, schedule: Schedule, departments: dict[str, Any], people: dict[str, list[str]]
) -> list[dict[str, Any]]:
    tz = schedule.tz
    children: dict[str, list[str]] = {}
    for code, dept in departments.items():
        if dept.get("parent"):
            children.setdefault(str(dept["parent"]), []).append(code)

    def subtree(code: str) -> list[str]:
        return [code, *(c for child in children.get(code, []) for c in subtree(child))]

    now = datetime.fromisoformat(NOW).replace(tzinfo=tz)
    notices: list[dict[str, Any]] = []
    for number, (published, author, audience, title, body, requires_ack) in enumerate(NOTICES, start=1):
        published_at = datetime.fromisoformat(published).replace(tzinfo=tz)
        codes = list(departments) if audience == "all" else [c for a in audience for c in subtree(a)]
        recipients = sorted({u for code in codes for u in people.get(code, [])})
        record: dict[str, Any] = {
            "ref": f"N-2026-{number:03d}",
            "title": title,
            "body": body,
            "author": author,
            "published_at": published,
            "audience": audience,
            "recipients": recipients,
            "requires_ack": requires_ack,
        }
        if requires_ack:
            record["ack_within"] = "2d"
            due = schedule.add_working_time(published_at, schedule.day_length * 2)
            acks = []
            for user in recipients:
                if rng.random() > ACK_RATE[published_at.month]:
                    continue
                if user == author:
                    at = published_at + timedelta(minutes=5)
                elif rng.random() < ON_TIME[published_at.month]:
                    at = schedule.add_working_time(published_at, schedule.day_length * 2 * rng.uniform(0.02, 0.98))
                else:
                    at = schedule.add_working_time(due, schedule.day_length * rng.uniform(0.1, 3))
                if at < now:
                    acks.append({"user": user, "at": fmt(at, tz)})
            record["acks"] = sorted(acks, key=lambda a: (a["at"], a["user"]))
        notices.append(record)
    return notices


def render(organization: dict[str, Any], disputes: list[dict[str, Any]], notices: list[dict[str, Any]]) -> str:
    out = [
        "# 苏州恒川智能装备股份有限公司 —— 演示数据：争议升级路径、2026 年 6–11 月的部门间争议与通知回执",
        "# 由 xietong/demo/build_collaboration.py 生成（random.Random(2027)），请勿手工修改；先导入 company.yaml。",
        "version: 1",
        "organization:",
    ]
    for key, value in organization.items():
        if key == "schedule" and isinstance(value, dict):
            out.append("  schedule:")
            out.extend(f"    {k}: {flow(v)}" for k, v in value.items())
        else:
            out.append(f"  {key}: {flow(value)}")
    out.append("departments: []")
    out.append("escalation_ladders:")
    for ladder in LADDERS:
        out.append(f"  - code: {q(ladder['code'])}")
        out.append(f"    name: {q(ladder['name'])}")
        if ladder.get("default"):
            out.append("    default: true")
        out.append("    levels:")
        out.extend(f"      - {flow(level)}" for level in ladder["levels"])
    out.append("records:")
    out.append("  disputes:")
    for record in disputes:
        first = True
        for key, value in record.items():
            prefix = "    - " if first else "      "
            if key == "events":
                out.append(f"{prefix}events:")
                out.extend(f"        - {flow(event)}" for event in value)
            else:
                out.append(f"{prefix}{key}: {flow(value)}")
            first = False
    out.append("  notices:")
    for record in notices:
        first = True
        for key, value in record.items():
            prefix = "    - " if first else "      "
            if key == "acks":
                out.append(f"{prefix}acks:")
                out.extend(f"        - {flow(ack)}" for ack in value)
            else:
                out.append(f"{prefix}{key}: {flow(value)}")
            first = False
    return "\n".join(out) + "\n"


def main() -> None:
    data = yaml.safe_load(COMPANY.read_text(encoding="utf-8"))
    organization = data["organization"]
    departments = {str(d["code"]): d for d in data["departments"]}
    people: dict[str, list[str]] = {}
    for person in data["people"]:
        if person.get("active", True):
            people.setdefault(str(person["department"]), []).append(str(person["username"]))
    schedule = Schedules(organization, departments).org
    rng = random.Random(SEED)
    disputes = build_disputes(rng, schedule, departments, people)
    notices = build_notices(rng, schedule, departments, people)
    text = render(organization, disputes, notices)
    yaml.safe_load(text)  # a syntax check
    OUTPUT.write_text(text, encoding="utf-8")
    acks = sum(len(n.get("acks", [])) for n in notices)
    sys.stdout.write(
        f"wrote {OUTPUT.name}: {len(disputes)} disputes, {len(notices)} notices, {acks} acknowledgements\n"
    )


if __name__ == "__main__":
    main()
