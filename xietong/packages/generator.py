"""A deterministic generator of large, realistic organization packages (``xietong generate``).

:func:`generate` returns a package (format version 1, ../spec/package-format.md) as plain data:
a Chinese company with a department tree (heads and liaisons), people spread unevenly over the
departments (a few departments are much larger than the rest), two committees, a default
escalation ladder, a few core cross-department processes, and a year of history ending at
``until``: cases with step runs timed on the organization's ``cn`` schedule (some steps
chronically late, more cases in the weeks before the long Chinese holidays), disputes with their
events, and notices with acknowledgements.

The same ``seed`` and sizes give the same data (one ``random.Random(seed)``, no clock, no set
iteration order), so :func:`render` gives byte-identical files.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from xietong.common.worktime import Schedule, parse_duration

TIMEZONE = "Asia/Shanghai"
SCHEDULE_SPEC: dict[str, Any] = {"working_hours": ["09:00-12:00", "13:00-18:00"], "days": "cn"}
END_OF_DAY = (18, 0)  # ``until`` is read as this local time: the end of its working day

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    departments: int = 50
    people: int = 1000
    cases: int = 2000
    disputes: int = 50
    notices: int = 20
    processes: int = 4

    def problems(self) -> list[str]:
        errors = []
        if self.departments < 2:
            errors.append(_("--departments must be at least 2"))
        if self.people < 2 * self.departments:
            errors.append(
                _("--people must be at least twice --departments (every department has a head and a liaison)")
            )
        for name in ("cases", "disputes", "notices"):
            if getattr(self, name) < 0:
                errors.append(_("--{option} must not be negative").format(option=name))
        if not 1 <= self.processes <= len(PROCESS_TEMPLATES):
            errors.append(_("--processes must be between 1 and {n}").format(n=len(PROCESS_TEMPLATES)))
        return errors


# --------------------------------------------------------------------------- names

# (character, pinyin): common surnames, roughly by frequency, and given-name characters.
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"),
    ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"),
    ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"),
    ("谭", "tan"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("金", "jin"), ("石", "shi"),
]  # fmt: skip
SURNAME_WEIGHTS = [1.0 / (1 + i / 6) for i in range(len(SURNAMES))]
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("英", "ying"), ("华", "hua"),
    ("建", "jian"), ("国", "guo"), ("志", "zhi"), ("文", "wen"), ("斌", "bin"), ("鹏", "peng"),
    ("辉", "hui"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"), ("晓", "xiao"), ("宇", "yu"),
    ("浩", "hao"), ("凯", "kai"), ("俊", "jun"), ("欣", "xin"), ("佳", "jia"), ("琳", "lin"),
    ("慧", "hui"), ("峰", "feng"), ("海", "hai"), ("红", "hong"), ("博", "bo"), ("晨", "chen"),
    ("思", "si"), ("雨", "yu"), ("子", "zi"), ("嘉", "jia"), ("梓", "zi"), ("涵", "han"),
    ("睿", "rui"), ("泽", "ze"), ("轩", "xuan"), ("一", "yi"), ("新", "xin"), ("春", "chun"),
]  # fmt: skip

# Top-level functions (centers): code, name, sub-department names.
FUNCTIONS = [
    ("RD", "研发中心", ["硬件研发部", "软件研发部", "测试验证部", "结构设计部", "预研部"]),
    ("SALES", "营销中心", ["华东销售部", "华南销售部", "华北销售部", "西南销售部", "海外销售部", "市场部"]),
    ("MFG", "生产制造中心", ["装配车间", "机加车间", "工艺工程部", "设备动力部", "注塑车间"]),
    ("SCM", "供应链中心", ["采购部", "计划物流部", "仓储部", "供应商管理部"]),
    ("QA", "质量部", ["来料检验科", "过程质量科", "质量体系科", "可靠性实验室"]),
    ("CS", "客户服务部", ["400热线组", "现场服务部", "备件中心"]),
    ("FIN", "财务部", ["会计核算科", "成本管理科", "资金科"]),
    ("HR", "人力资源部", ["招聘科", "培训科", "薪酬绩效科"]),
    ("IT", "信息技术部", ["基础设施组", "应用开发组", "信息安全组"]),
    ("LEGAL", "法务合规部", ["合同管理科", "知识产权科"]),
    ("ADM", "行政部", ["综合事务科", "后勤保障科"]),
    ("PMO", "项目管理部", ["项目一部", "项目二部"]),
]
NUMERALS = "一二三四五六七八九十"


def _numbered(name: str, n: int) -> str:
    """``装配车间`` → ``装配二车间``-like names for the n-th sibling of the same kind (n from 2)."""
    suffix = NUMERALS[n - 1] if n <= len(NUMERALS) else str(n)
    for tail in ("车间", "部", "科", "组", "中心", "实验室"):
        if name.endswith(tail):
            return f"{name[: -len(tail)]}{suffix}{tail}"
    return f"{name}{suffix}"


# --------------------------------------------------------------------------- processes

# code, name, description, [(step name, function, time limit, inputs, outputs)]; a step's function
# picks its responsible department (a department under that center).
PROCESS_TEMPLATES: list[tuple[str, str, str, list[tuple[str, str, str, list[str], list[str]]]]] = [
    (
        "ORDER",
        "订单交付",
        "从客户下单到发货的订单交付流程。",
        [
            ("订单评审", "SALES", "1d", ["客户采购订单", "技术协议"], ["销售订单"]),
            ("物料计划", "SCM", "4h", ["销售订单", "BOM"], ["物料需求计划"]),
            ("采购到料", "SCM", "5d", ["请购单"], ["入库单"]),
            ("生产装配", "MFG", "3d", ["生产计划"], ["完工产品"]),
            ("出厂检验", "QA", "1d", ["完工产品"], ["出厂检验报告"]),
            ("发货", "SCM", "1d", ["出厂检验报告"], ["物流运单"]),
        ],
    ),
    (
        "COMPLAINT",
        "客户投诉处理",
        "热线受理客户投诉，质量部组织原因分析和整改，客服负责答复客户。",
        [
            ("投诉登记与分级", "CS", "4h", ["客户来电或邮件"], ["投诉登记单"]),
            ("原因分析", "QA", "2d", ["投诉登记单", "退回样品"], ["8D报告（D1–D4）"]),
            ("整改措施", "MFG", "3d", ["根本原因"], ["纠正与预防措施"]),
            ("客户答复", "CS", "1d", ["8D报告"], ["客户答复函"]),
            ("效果验证", "QA", "5d", ["纠正与预防措施"], ["投诉关闭单"]),
        ],
    ),
    (
        "NPD",
        "新产品开发",
        "从市场需求到量产移交的新产品开发流程。",
        [
            ("需求评审", "SALES", "3d", ["市场调研报告"], ["产品需求规格书"]),
            ("方案设计", "RD", "10d", ["产品需求规格书"], ["设计图纸", "初版BOM"]),
            ("样机试制", "MFG", "8d", ["设计图纸"], ["工程样机"]),
            ("测试验证", "RD", "7d", ["工程样机"], ["测试报告"]),
            ("小批量试产", "MFG", "5d", ["冻结BOM"], ["试产总结报告"]),
            ("量产移交", "RD", "2d", ["试产总结报告"], ["量产移交评审纪要"]),
        ],
    ),
    (
        "PURCHASE",
        "采购申请",
        "部门提出采购需求，财务预算审核，采购部寻源下单。",
        [
            ("需求提交", "IT", "4h", ["采购需求"], ["请购单"]),
            ("预算审核", "FIN", "1d", ["请购单"], ["预算审核意见"]),
            ("寻源比价", "SCM", "3d", ["请购单"], ["比价单"]),
            ("合同签订", "LEGAL", "2d", ["比价单"], ["采购合同"]),
        ],
    ),
    (
        "HIRE",
        "招聘入职",
        "用人部门提出需求到新员工入职的招聘流程。",
        [
            ("用人需求", "PMO", "1d", ["编制计划"], ["招聘需求单"]),
            ("简历筛选与面试", "HR", "10d", ["招聘需求单"], ["面试评价"]),
            ("录用审批", "FIN", "2d", ["面试评价"], ["录用通知"]),
            ("入职准备", "IT", "2d", ["录用通知"], ["账号与设备"]),
            ("入职报到", "HR", "1d", ["账号与设备"], ["入职登记"]),
        ],
    ),
]
PROCESS_WEIGHTS = {"ORDER": 5.0, "COMPLAINT": 3.0, "NPD": 0.6, "PURCHASE": 2.0, "HIRE": 1.0}
CUSTOMERS = [
    "华东某汽车零部件厂",
    "华南某家电制造商",
    "西南某水务集团",
    "华北某钢铁公司",
    "江苏某锂电池企业",
    "山东某化工园区",
]
PRODUCTS = ["压力变送器", "温湿度传感器", "激光位移传感器", "振动监测传感器", "电磁流量计", "工业物联网网关"]
ISSUES = ["读数漂移超差", "通讯中断", "到货外壳破损", "零点不稳定", "接插件松动", "固件升级后无法联网"]
DISPUTE_TOPICS = [
    ("紧急插单导致排产冲突", "客户追加订单要求两周内交付，对方认为产能已排满。", "分两批交付，首批优先保障重点客户。"),
    ("来料不良责任归属", "一批来料不良，双方对供应商索赔责任有分歧。", "由采购牵头索赔，质量出具检验报告。"),
    ("交付时限争议", "一方要求三天内完成，另一方认为需要五个工作日。", "先提交临时措施，完整结果五个工作日内提交。"),
    ("跨部门借调工时核算", "借调人员的工时由哪个部门承担存在分歧。", "借调工时由用人部门承担，按月核算。"),
    ("系统权限变更流程", "一方要求当天开通权限，另一方要求走完审批流程。", "紧急权限先开通24小时，次日补齐审批。"),
    ("样机借用冲突", "展会需借用样机，样机同期用于可靠性试验。", "提供两台样机，展会后优先返还。"),
]
NOTICE_TOPICS = [
    ("跨部门协作行动计划发布", "请各部门组织学习并确认。"),
    ("接口人周例会安排", "各部门接口人每周一上午10点参加接口人周会。"),
    ("节前订单截止安排", "节前发货订单须提前两周确认。"),
    ("核心流程时限调整通知", "部分流程步骤时限调整，详见附件。"),
    ("放假及调休安排", "请各部门提前安排值班。"),
    ("年末盘点安排", "请相关部门配合盘点。"),
    ("信息安全培训通知", "全员须在两周内完成信息安全在线培训。"),
]


# --------------------------------------------------------------------------- helpers


def _fmt(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=max(1, round(value)))


@dataclass
class _World:
    rng: random.Random
    tz: ZoneInfo
    schedule: Schedule
    as_of: datetime
    departments: list[dict[str, Any]]
    members: dict[str, list[str]]  # department code → usernames
    children: dict[str, list[str]]
    days: list[date]  # working days of the year of history, oldest first
    day_weights: list[float]  # seasonal weight of each day in ``days``


def _people_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (username, name) pairs, usernames in pinyin with a number when taken."""
    taken: dict[str, int] = {}
    result = []
    for _index in range(count):
        surname, surname_py = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        given = rng.sample(GIVEN, rng.choice((1, 2, 2, 2)))
        name = surname + "".join(g for g, _py in given)
        base = surname_py + "".join(py for _g, py in given)
        n = taken.get(base, 0) + 1
        taken[base] = n
        result.append((base if n == 1 else f"{base}{n}", name))
    return result


def _departments(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """A tree: the head office, the centers under it, then departments under those (depth ≤ 4)."""
    root: dict[str, Any] = {"code": "HQ", "name": "总经办"}
    departments = [root]
    centers = FUNCTIONS[: min(len(FUNCTIONS), count - 1)]
    function_of: dict[str, str | None] = {"HQ": None}
    depth = {"HQ": 0}
    used_names: dict[tuple[str, str], int] = {}
    sub_count: dict[str, int] = {}
    for code, name, _subs in centers:
        departments.append({"code": code, "name": name, "parent": "HQ"})
        function_of[code] = code
        depth[code] = 1
    subs_of = {code: subs for code, _name, subs in FUNCTIONS}
    while len(departments) < count:
        # Parents: mostly the centers and their direct departments, so the tree is wide, not deep.
        candidates = [d for d in departments[1:] if depth[d["code"]] < 4]
        weights = [4.0 if depth[d["code"]] == 1 else 1.0 / depth[d["code"]] for d in candidates]
        parent = rng.choices(candidates, weights=weights)[0]
        function = function_of[parent["code"]]
        assert function is not None
        base = rng.choice(subs_of[function])
        n = used_names.get((parent["code"], base), 0) + 1
        used_names[(parent["code"], base)] = n
        sub_count[parent["code"]] = sub_count.get(parent["code"], 0) + 1
        code = f"{parent['code']}-{sub_count[parent['code']]}"
        name = base if n == 1 else _numbered(base, n)
        departments.append({"code": code, "name": name, "parent": parent["code"]})
        function_of[code] = function
        depth[code] = depth[parent["code"]] + 1
    for dept in departments:
        dept["_function"] = function_of[dept["code"]]
    return departments


def _seasonal_days(schedule: Schedule, first: date, last: date) -> tuple[list[date], list[float]]:
    """Working days from ``first`` to ``last`` and their weights: weekdays off that open a holiday
    of three days or more (Spring Festival, National Day, …) make the three weeks before them busier."""
    span = (last - first).days + 1
    all_days = [first + timedelta(days=n) for n in range(span + 30)]
    working = {d: schedule.is_working_day(d) for d in all_days}
    holiday_starts = []
    for index, day in enumerate(all_days):
        if working[day] or (index and not working[all_days[index - 1]]):
            continue
        length = 0
        while index + length < len(all_days) and not working[all_days[index + length]]:
            length += 1
        if length >= 3 and any(not working[d] and d.weekday() < 5 for d in all_days[index : index + length]):
            holiday_starts.append((day, length))
    days = [d for d in all_days[:span] if working[d]]
    weights = []
    for day in days:
        weight = 1.0
        for start, length in holiday_starts:
            ahead = (start - day).days
            if 0 < ahead <= 21:
                weight += 1.5 if length >= 7 else 0.6
        weights.append(weight)
    return days, weights


def _instants(world: _World, count: int) -> list[datetime]:
    """``count`` instants inside working hours, seasonally weighted, oldest first."""
    rng, schedule = world.rng, world.schedule
    day_minutes = schedule.day_length.total_seconds() / 60
    chosen = rng.choices(world.days, weights=world.day_weights, k=count)
    instants = []
    for day in chosen:
        start = datetime(day.year, day.month, day.day, tzinfo=world.tz)
        instants.append(schedule.add_working_time(start, _minutes(rng.uniform(0, day_minutes - 30))))
    instants.sort()
    return instants


def _leaves(world: _World, function: str, big_first: bool) -> list[str]:
    codes = [d["code"] for d in world.departments if d["_function"] == function and world.members.get(d["code"])]
    if big_first:
        codes.sort(key=lambda c: (-len(world.members[c]), c))
    return codes


# --------------------------------------------------------------------------- sections


def _processes(world: _World, count: int) -> list[dict[str, Any]]:
    rng = world.rng
    centers = [d["code"] for d in world.departments if d.get("parent") == "HQ"]
    processes = []
    for code, name, description, steps in PROCESS_TEMPLATES[:count]:
        chronic = rng.randrange(len(steps))  # this step is chronically late
        out_steps = []
        for index, (step_name, function, limit, inputs, outputs) in enumerate(steps):
            if function not in centers:
                function = centers[index % len(centers)]
            # The largest departments of a function own its steps: they are the overloaded ones.
            options = _leaves(world, function, big_first=True)[:3] or [function]
            responsible = rng.choice(options)
            others = [c for c in centers if c != responsible and c != function]
            cooperating = sorted(rng.sample(others, min(len(others), rng.randint(1, 2))))
            out_steps.append(
                {
                    "code": f"{code}-S{index + 1}",
                    "name": step_name,
                    "responsible": responsible,
                    "cooperating": cooperating,
                    "inputs": inputs,
                    "outputs": outputs,
                    "time_limit": limit,
                    "_late": 0.55 if index == chronic else 0.1,
                }
            )
        owner = out_steps[0]["responsible"]
        processes.append({"code": code, "name": name, "description": description, "owner": owner, "steps": out_steps})
    return processes


def _case_title(rng: random.Random, process: str) -> str:
    if process == "ORDER":
        return f"{rng.choice(CUSTOMERS)} {rng.choice(PRODUCTS)} ×{rng.choice([20, 50, 100, 200, 500])}台"
    if process == "COMPLAINT":
        return f"{rng.choice(CUSTOMERS)}：{rng.choice(PRODUCTS)}{rng.choice(ISSUES)}"
    if process == "NPD":
        return f"新一代{rng.choice(PRODUCTS)}开发"
    if process == "PURCHASE":
        return f"{rng.choice(['服务器', '测试仪器', '办公设备', '生产模具', '软件许可'])}采购"
    return f"{rng.choice(['硬件工程师', '销售经理', '质量工程师', '采购专员', '会计'])}招聘"


def _cases(world: _World, processes: list[dict[str, Any]], total: int, progress: Progress) -> list[dict[str, Any]]:
    rng, schedule, tz, as_of = world.rng, world.schedule, world.tz, world.as_of
    weights = [PROCESS_WEIGHTS[p["code"]] for p in processes]
    # Every process has cases (when there are enough), the rest by each process's weight.
    first = list(range(min(total, len(processes))))
    which = first + rng.choices(range(len(processes)), weights=weights, k=total - len(first))
    rng.shuffle(which)
    opened_all = _instants(world, total)
    limits = {s["code"]: parse_duration(s["time_limit"]).to_timedelta(schedule) for p in processes for s in p["steps"]}
    weight_of = dict(zip(world.days, world.day_weights, strict=True))
    numbers = [0] * len(processes)
    cases = []
    for index, (p_index, opened) in enumerate(zip(which, opened_all, strict=True)):
        if index and index % 5000 == 0:
            progress(f"cases: {index:,}/{total:,}")
        process = processes[p_index]
        numbers[p_index] += 1
        peak = weight_of.get(opened.astimezone(tz).date(), 1.0) > 1.0
        runs: list[dict[str, Any]] = []
        moment = opened
        for position, step in enumerate(process["steps"]):
            wait = rng.uniform(5, 50) if position == 0 else min(16 * 60, rng.lognormvariate(0, 0.7) * 150)
            started = schedule.add_working_time(moment, _minutes(wait))
            if started > as_of and runs:
                break
            started = min(started, as_of).replace(second=0, microsecond=0)  # as the file writes it
            late = step["_late"] + (0.15 if peak else 0.0)
            ratio = rng.uniform(1.05, 2.0) if rng.random() < late else rng.uniform(0.25, 0.95)
            completed = schedule.add_working_time(started, _minutes(ratio * limits[step["code"]].total_seconds() / 60))
            run: dict[str, Any] = {"step": step["code"], "started_at": _fmt(started, tz)}
            if completed <= as_of:
                run["completed_at"] = _fmt(completed, tz)
            # The due instant, as an exported package carries it (the importer computes it when absent).
            run["due_at"] = _fmt(schedule.add_working_time(started, limits[step["code"]]), tz)
            members = world.members.get(step["responsible"])
            if members:
                run["assignee"] = rng.choice(members)
            runs.append(run)
            if completed > as_of:
                break
            moment = completed
        cases.append(
            {
                "process": process["code"],
                "ref": f"{process['code']}-{numbers[p_index]:06d}",
                "title": _case_title(rng, process["code"]),
                "opened_at": _fmt(opened, tz),
                "steps": runs,
            }
        )
    return cases


def _disputes(world: _World, total: int, ladder_limits: list[timedelta], gm: str) -> list[dict[str, Any]]:
    rng, schedule, tz, as_of = world.rng, world.schedule, world.tz, world.as_of
    heads = {d["code"]: d["head"] for d in world.departments}
    liaisons = {d["code"]: d["liaison"] for d in world.departments}
    # Parties: mostly the departments that own process steps (the busy ones), some anywhere.
    busy = sorted(world.members, key=lambda c: (-len(world.members[c]), c))[:12]
    everyone = [d["code"] for d in world.departments]
    day = schedule.day_length
    disputes = []
    for number, opened in enumerate(_instants(world, total), start=1):
        pool = busy if rng.random() < 0.7 and len(busy) >= 2 else everyone
        parties = rng.sample(pool, 2)
        title, description, settlement = rng.choice(DISPUTE_TOPICS)
        events: list[dict[str, Any]] = []
        comment_at = schedule.add_working_time(opened, day * rng.uniform(0.1, 0.6))
        events.append({"at": comment_at, "type": "comment", "by": heads[parties[1]], "note": "已收到，正在评估影响。"})
        roll = rng.random()
        if roll < 0.6:
            at = max(schedule.add_working_time(opened, ladder_limits[0] * rng.uniform(0.2, 0.95)), comment_at)
            events.append(
                {"at": at + timedelta(minutes=1), "type": "resolve", "by": heads[parties[0]], "note": settlement}
            )
        elif roll < 0.75:
            at = max(schedule.add_working_time(opened, ladder_limits[0] * rng.uniform(0.4, 0.9)), comment_at)
            at += timedelta(minutes=1)
            events.append(
                {"at": at, "type": "escalate", "by": heads[parties[0]], "note": "协商未达成一致，申请上级裁决。"}
            )
            decided = schedule.add_working_time(at, ladder_limits[1] * rng.uniform(0.3, 0.9))
            events.append({"at": decided, "type": "resolve", "by": gm, "note": settlement})
        elif roll < 0.9:  # nobody moves: it climbs to level 2 on its own, the general manager decides
            climbed = schedule.add_working_time(opened, ladder_limits[0])
            decided = schedule.add_working_time(climbed, ladder_limits[1] * rng.uniform(0.3, 0.9))
            events.append({"at": decided, "type": "resolve", "by": gm, "note": settlement})
        else:
            at = max(schedule.add_working_time(opened, ladder_limits[0] * rng.uniform(0.2, 0.7)), comment_at)
            events.append(
                {
                    "at": at + timedelta(minutes=1),
                    "type": "withdraw",
                    "by": liaisons[parties[0]],
                    "note": "已线下解决。",
                }
            )
        kept = [dict(e, at=_fmt(e["at"], tz)) for e in events if e["at"] <= as_of]  # later ones: still open
        disputes.append(
            {
                "ref": f"D-{number:06d}",
                "title": title,
                "description": description,
                "parties": parties,
                "raised_by": liaisons[parties[0]],
                "opened_at": _fmt(opened, tz),
                "events": kept,
            }
        )
    return disputes


def _notices(world: _World, total: int, author: str) -> list[dict[str, Any]]:
    rng, schedule, tz, as_of = world.rng, world.schedule, world.tz, world.as_of
    everyone = [u for d in world.departments for u in world.members.get(d["code"], [])]
    centers = [d["code"] for d in world.departments if d.get("parent") == "HQ"]

    def subtree(code: str) -> list[str]:
        return [code, *(c for child in world.children.get(code, []) for c in subtree(child))]

    notices = []
    for number, published in enumerate(_instants(world, total), start=1):
        title, body = rng.choice(NOTICE_TOPICS)
        record: dict[str, Any] = {"ref": f"N-{number:05d}", "title": title, "body": body, "author": author}
        record["published_at"] = _fmt(published, tz)
        if rng.random() < 0.6:
            record["audience"] = "all"
            recipients = everyone
        else:
            audience = sorted(rng.sample(centers, min(len(centers), rng.randint(1, 3))))
            record["audience"] = audience
            codes = {c for a in audience for c in subtree(a)}
            recipients = [u for d in world.departments if d["code"] in codes for u in world.members[d["code"]]]
        # ``recipients`` is left out: the importer derives it from the audience and the file's people.
        requires_ack = rng.random() < 0.8
        record["requires_ack"] = requires_ack
        if requires_ack:
            record["ack_within"] = "2d"
            window = schedule.day_length * 2
            due = schedule.add_working_time(published, window)
            acked_share, on_time = rng.uniform(0.8, 0.97), rng.uniform(0.6, 0.95)
            acks = []
            for user in recipients:
                if rng.random() > acked_share:
                    continue
                if rng.random() < on_time:
                    at = schedule.add_working_time(published, window * rng.uniform(0.02, 0.98))
                else:
                    at = schedule.add_working_time(due, schedule.day_length * rng.uniform(0.1, 3))
                if at <= as_of:
                    acks.append((_fmt(at, tz), user))
            acks.sort()
            record["acks"] = [{"user": user, "at": at} for at, user in acks]
        notices.append(record)
    return notices


# --------------------------------------------------------------------------- the package


def generate(
    *, sizes: Sizes, seed: int = 1, until: date = date(2026, 11, 27), progress: Progress | None = None
) -> dict[str, Any]:
    """The package as plain data (dicts, lists, text, ints, bools), ready for :func:`render`."""
    say: Progress = progress or (lambda message: None)
    problems = sizes.problems()
    if problems:
        raise ValueError("; ".join(problems))
    rng = random.Random(seed)
    tz = ZoneInfo(TIMEZONE)
    schedule = Schedule.from_spec(SCHEDULE_SPEC, tz)
    as_of = datetime(until.year, until.month, until.day, *END_OF_DAY, tzinfo=tz)

    say(f"departments: {sizes.departments:,}")
    departments = _departments(rng, sizes.departments)
    children: dict[str, list[str]] = {}
    for dept in departments:
        if dept.get("parent"):
            children.setdefault(dept["parent"], []).append(dept["code"])

    say(f"people: {sizes.people:,}")
    names = _people_names(rng, sizes.people)
    # Every department gets its head and liaison; the rest go by a heavy-tailed weight, so that a
    # few departments are much larger than the others.
    weights = [rng.paretovariate(1.3) for _dept in departments]
    extra = rng.choices(range(len(departments)), weights=weights, k=sizes.people - 2 * len(departments))
    headcount = [2] * len(departments)
    for index in extra:
        headcount[index] += 1
    people: list[dict[str, Any]] = []
    members: dict[str, list[str]] = {}
    cursor = 0
    for dept, count in zip(departments, headcount, strict=True):
        chunk = names[cursor : cursor + count]
        cursor += count
        members[dept["code"]] = [u for u, _n in chunk]
        dept["head"], dept["liaison"] = chunk[0][0], chunk[1][0]
        if count >= 12:
            dept["deputy_liaison"] = chunk[2][0]
        top = dept["code"] == "HQ" or dept.get("parent") == "HQ"
        for position, (username, name) in enumerate(chunk):
            person: dict[str, Any] = {"username": username, "name": name, "department": dept["code"]}
            person["email"] = f"{username}@example.com"
            if position == 0:
                person["title"] = "总经理" if dept["code"] == "HQ" else "部门负责人"
                person["level"] = "executive" if top else "manager"
            elif position == 1:
                person["title"] = "接口人"
            else:
                person["title"] = rng.choice(["工程师", "专员", "主管", "助理", "高级工程师"])
            people.append(person)
    hq = members["HQ"]
    coordinator, admin = hq[1], hq[-1] if len(hq) > 2 else hq[0]
    by_username = {p["username"]: p for p in people}
    by_username[coordinator]["roles"] = ["coordinator"]
    by_username[admin].setdefault("roles", []).append("admin")

    days, day_weights = _seasonal_days(schedule, until - timedelta(days=365), until - timedelta(days=3))
    world = _World(rng, tz, schedule, as_of, departments, members, children, days, day_weights)

    centers = [d for d in departments if d.get("parent") == "HQ"]
    gm = departments[0]["head"]
    committees = [
        {
            "code": "XT-COMM",
            "name": "跨部门协调委员会",
            "chair": gm,
            "members": [gm, *(d["head"] for d in centers)],
        },
        {
            "code": "QIC",
            "name": "质量改进委员会",
            "chair": centers[0]["head"],
            "members": [d["head"] for d in centers[: max(1, min(5, len(centers)))]],
        },
    ]
    levels = [
        {"name": "部门负责人协商", "handler": "heads_of_parties", "time_limit": "3d"},
        {"name": "总经理裁决", "handler": f"person:{gm}", "time_limit": "2d"},
        {"name": "协调委员会仲裁", "handler": "committee:XT-COMM", "time_limit": "5d"},
    ]
    ladders = [{"code": "STD", "name": "标准升级路径", "default": True, "levels": levels}]
    ladder_limits = [parse_duration(level["time_limit"]).to_timedelta(schedule) for level in levels]

    processes = _processes(world, sizes.processes)
    say(f"cases: {sizes.cases:,}")
    cases = _cases(world, processes, sizes.cases, say)
    say(f"disputes: {sizes.disputes:,}")
    disputes = _disputes(world, sizes.disputes, ladder_limits, gm)
    say(f"notices: {sizes.notices:,}")
    notices = _notices(world, sizes.notices, coordinator)

    for dept in departments:
        del dept["_function"]
    for process in processes:
        for step in process["steps"]:
            del step["_late"]
    records: dict[str, Any] = {}
    if cases:
        records["cases"] = cases
    if disputes:
        records["disputes"] = disputes
    if notices:
        records["notices"] = notices
    package: dict[str, Any] = {
        "version": 1,
        "organization": {
            "name": "华夏协同科技集团有限公司",
            "timezone": TIMEZONE,
            "language": "zh-hans",
            "schedule": SCHEDULE_SPEC,
        },
        "departments": departments,
        "people": people,
        "committees": committees,
        "processes": processes,
        "escalation_ladders": ladders,
    }
    if records:
        package["records"] = records
    return package


def render(package: dict[str, Any], *, as_json: bool) -> str:
    """The package as text: compact JSON (fast to write and read), or YAML."""
    if as_json:
        return json.dumps(package, ensure_ascii=False, separators=(",", ":")) + "\n"
    from xietong.packages.document import dump_document

    return dump_document(package)


def summary(package: dict[str, Any]) -> dict[str, int]:
    records = package.get("records", {})
    return {
        "departments": len(package["departments"]),
        "people": len(package["people"]),
        "processes": len(package["processes"]),
        "cases": len(records.get("cases", [])),
        "step_runs": sum(len(c["steps"]) for c in records.get("cases", [])),
        "disputes": len(records.get("disputes", [])),
        "notices": len(records.get("notices", [])),
        "acks": sum(len(n.get("acks", [])) for n in records.get("notices", [])),
    }


# --------------------------------------------------------------------------- straight to the database

# Content that the package format does not carry (knowledge pages) is generated by its app straight
# into the database: ``xietong generate --<option> N``. The packages app imports no domain app, so
# the apps register their writers here (from AppConfig.ready()).


@dataclass(frozen=True)
class BulkWriter:
    option: str  # the command-line option, e.g. "pages"
    help: Any  # text, or lazily translated text
    write: Callable[[int, int, date, Progress], int]  # (count, seed, until, progress) -> rows written


_bulk_writers: dict[str, BulkWriter] = {}


def register_bulk_writer(writer: BulkWriter) -> None:
    _bulk_writers[writer.option] = writer


def bulk_writers() -> list[BulkWriter]:
    return sorted(_bulk_writers.values(), key=lambda w: w.option)
