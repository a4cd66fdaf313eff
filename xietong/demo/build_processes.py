"""Generate ``processes.yaml``: the demo company's three core processes and their history.

Run from the repository root::

    .venv/bin/python xietong/demo/build_processes.py

The output is deterministic (``random.Random(2026)``). It reads ``company.yaml`` beside this
file for the organization section, the department codes and the people (assignees), and uses
:mod:`xietong.common.worktime` (pure Python, no Django) so that every start and completion
falls inside working hours and every step's lateness is what the story below wants.

The story the dashboards tell: from June to November 2026 the company runs about 150 cases
of new product development (NPD), order delivery (ORDER) and customer complaints
(COMPLAINT). Orders peak in September before the National Day holiday and complaints
follow in October and November. Root-cause analysis (TS-RCA) and material arrival
(ORD-PURCH) are chronically late in early summer and improve month over month, after the
order process got a separate material-planning step (ORDER version 2, from August);
hand-offs between departments shrink from half a day to an hour or two. About fifteen
cases are still running at 2026-11-27 18:00, a few of them overdue.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository root, for xietong.common.worktime

from xietong.common.worktime import Schedule, parse_duration  # noqa: E402

COMPANY = HERE / "company.yaml"
OUTPUT = HERE / "processes.yaml"
SEED = 2026
FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 11, 20)
AS_OF_TEXT = "2026-11-27T18:00"
ORDER_V2_FROM = date(2026, 8, 1)  # cases opened from this date run on ORDER version 2


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    responsible: str
    cooperating: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    time_limit: str

    def as_yaml(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "responsible": self.responsible,
            "cooperating": list(self.cooperating),
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "time_limit": self.time_limit,
        }


NPD_STEPS = [
    Step(
        "NPD-REQ",
        "需求评审",
        "SALES-MKT",
        ("SALES-DOM", "RD"),
        ("市场调研报告", "重点客户需求清单", "竞品分析"),
        ("产品需求规格书（PRD）", "立项评审纪要"),
        "3d",
    ),
    Step(
        "NPD-DESIGN",
        "方案设计",
        "RD-HW",
        ("RD-SW", "MFG-PE"),
        ("产品需求规格书（PRD）", "立项评审纪要"),
        ("硬件原理图与PCB", "结构图纸", "嵌入式软件方案", "初版BOM"),
        "10d",
    ),
    Step(
        "NPD-PROTO",
        "样机试制",
        "MFG-PE",
        ("RD-HW", "MFG-MACH", "SCM-PUR"),
        ("硬件原理图与PCB", "结构图纸", "初版BOM"),
        ("工程样机（5–10台）", "试制问题清单"),
        "8d",
    ),
    Step(
        "NPD-TEST",
        "测试验证",
        "RD-TEST",
        ("QA", "RD-HW", "RD-SW"),
        ("工程样机", "测试大纲"),
        ("性能与可靠性测试报告", "EMC测试报告", "设计变更单"),
        "7d",
    ),
    Step(
        "NPD-PILOT",
        "小批量试产",
        "MFG-ASM",
        ("QA", "SCM-PLAN", "MFG-PE"),
        ("冻结BOM", "作业指导书", "检验规范"),
        ("试产总结报告", "直通率与不良分析", "工装夹具清单"),
        "5d",
    ),
    Step(
        "NPD-HANDOVER",
        "量产移交",
        "RD",
        ("MFG", "QA", "SCM"),
        ("试产总结报告", "全套技术文件"),
        ("量产移交评审纪要", "受控技术文件包", "量产物料清单"),
        "2d",
    ),
]

ORDER_REVIEW = Step(
    "ORD-REVIEW",
    "订单评审",
    "SALES-DOM",
    ("SCM-PLAN", "FIN", "MFG-PE"),
    ("客户采购订单", "技术协议", "客户信用额度"),
    ("订单评审表（交期、价格、技术要求确认）", "销售订单"),
    "1d",
)
ORDER_MRP = Step(
    "ORD-MRP",
    "物料计划",
    "SCM-PLAN",
    ("SCM-WH", "SCM-PUR"),
    ("销售订单", "BOM", "库存与在途数据"),
    ("物料需求计划（MRP）", "请购单"),
    "4h",
)
ORDER_PURCH = Step(
    "ORD-PURCH",
    "采购到料",
    "SCM-PUR",
    ("SCM-WH", "QA"),
    ("请购单", "合格供应商名录"),
    ("采购订单", "来料检验报告", "入库单"),
    "5d",
)
ORDER_ASM = Step(
    "ORD-ASM",
    "生产排产与装配",
    "MFG-ASM",
    ("SCM-PLAN", "MFG-MACH", "SCM-WH"),
    ("生产计划", "领料单", "作业指导书"),
    ("完工产品", "生产记录与标定数据"),
    "3d",
)
ORDER_FQC = Step(
    "ORD-FQC",
    "出厂检验",
    "QA",
    ("MFG-ASM",),
    ("完工产品", "出厂检验规范"),
    ("出厂检验报告", "合格证"),
    "1d",
)
ORDER_SHIP = Step(
    "ORD-SHIP",
    "发货",
    "SCM-WH",
    ("SCM-PLAN", "SALES-DOM", "FIN"),
    ("出厂检验报告", "发货通知单", "收款或信用放行确认"),
    ("出库单", "物流运单", "发货通知（告知客户）"),
    "1d",
)
ORDER_V1_STEPS = [ORDER_REVIEW, ORDER_PURCH, ORDER_ASM, ORDER_FQC, ORDER_SHIP]
ORDER_V2_STEPS = [ORDER_REVIEW, ORDER_MRP, ORDER_PURCH, ORDER_ASM, ORDER_FQC, ORDER_SHIP]

COMPLAINT_STEPS = [
    Step(
        "TS-LOG",
        "投诉登记与分级",
        "CS-400",
        ("CS",),
        ("客户来电或邮件", "产品序列号与订单号"),
        ("投诉登记单", "严重度分级（A/B/C）"),
        "4h",
    ),
    Step(
        "TS-RCA",
        "原因分析",
        "QA",
        ("MFG-ASM", "RD-HW", "MFG-PE"),
        ("投诉登记单", "退回样品", "生产与检验记录"),
        ("8D报告（D1–D4）", "根本原因"),
        "2d",
    ),
    Step(
        "TS-CAPA",
        "整改措施",
        "MFG-PE",
        ("MFG-ASM", "RD-HW", "SCM-PUR"),
        ("根本原因", "8D报告（D1–D4）"),
        ("纠正与预防措施（D5–D6）", "工艺或设计变更单"),
        "3d",
    ),
    Step(
        "TS-REPLY",
        "客户答复",
        "CS",
        ("SALES-DOM", "QA"),
        ("8D报告", "纠正与预防措施"),
        ("客户答复函", "补偿或换货方案"),
        "1d",
    ),
    Step(
        "TS-VERIFY",
        "效果验证",
        "QA",
        ("CS", "MFG-ASM"),
        ("纠正与预防措施", "后续批次检验数据"),
        ("效果验证记录（D7–D8）", "投诉关闭单"),
        "5d",
    ),
]

PROCESSES: list[dict[str, Any]] = [
    {
        "code": "NPD",
        "name": "新产品开发",
        "description": "从市场需求到量产移交的传感器新产品开发流程，研发中心牵头，营销、制造、质量、供应链协同。",
        "owner": "RD",
        "steps": NPD_STEPS,
    },
    {
        "code": "ORDER",
        "name": "订单交付",
        "description": (
            "从客户下单到发货的订单交付流程。第2版（2026年8月起）增加独立的物料计划步骤，解决采购到料滞后问题。"
        ),
        "owner": "SCM",
        "version": 2,
        "steps": ORDER_V2_STEPS,
        "previous_versions": [{"version": 1, "steps": ORDER_V1_STEPS}],
    },
    {
        "code": "COMPLAINT",
        "name": "客户投诉处理",
        "description": "400热线受理客户投诉，质量部按8D方法组织原因分析、整改和效果验证，客服负责答复客户。",
        "owner": "QA",
        "steps": COMPLAINT_STEPS,
    },
]

# --------------------------------------------------------------------------- the story

# Probability that a step run is late, by month (June … November), the chronic steps first.
LATE_BY_MONTH: dict[str, list[float]] = {
    "TS-RCA": [0.70, 0.65, 0.55, 0.40, 0.25, 0.18],
    "ORD-PURCH": [0.65, 0.60, 0.45, 0.30, 0.20, 0.15],
    "NPD-DESIGN": [0.45, 0.40, 0.40, 0.30, 0.30, 0.25],
    "NPD-TEST": [0.40, 0.35, 0.30, 0.25, 0.20, 0.20],
    "TS-CAPA": [0.35, 0.30, 0.25, 0.20, 0.15, 0.12],
    "ORD-ASM": [0.25, 0.22, 0.30, 0.20, 0.12, 0.10],  # September's order peak strains assembly
    "NPD-PROTO": [0.30, 0.30, 0.25, 0.20, 0.15, 0.15],
    "NPD-REQ": [0.12, 0.10, 0.10, 0.08, 0.06, 0.05],
    "TS-VERIFY": [0.20, 0.18, 0.15, 0.12, 0.10, 0.08],
}
LATE_DEFAULT = [0.15, 0.13, 0.12, 0.10, 0.08, 0.06]
# Steps that get stuck now and then (a supplier's late delivery, a customer's returned samples
# that have not arrived): in cases opened from STUCK_FROM, with STUCK_SHARE probability, the
# first of these steps whose due instant is before AS_OF is still running at AS_OF (the open
# overdue steps on the dashboards).
STUCK_STEPS = ("ORD-PURCH", "ORD-ASM", "TS-RCA", "TS-CAPA", "NPD-PROTO", "NPD-TEST")
STUCK_FROM = date(2026, 10, 19)
STUCK_SHARE = 0.08
# Median hand-off between departments, in working hours, by month.
HANDOFF_MEDIAN_HOURS = [4.5, 4.0, 3.2, 2.5, 1.8, 1.5]

# Cases opened per month (June … November 20).
CASES_PER_MONTH = {
    "NPD": [3, 2, 2, 2, 2, 2],
    "ORDER": [11, 12, 13, 23, 13, 14],
    "COMPLAINT": [5, 6, 7, 7, 12, 14],
}

CUSTOMERS = [
    "华东某汽车零部件厂",
    "华南某注塑机厂",
    "西南某水务集团",
    "华北某钢铁公司",
    "江苏某锂电池企业",
    "浙江某食品机械厂",
    "山东某化工园区",
    "安徽某新能源车企",
    "上海某半导体设备商",
    "广东某家电制造商",
    "湖北某风电运维公司",
    "四川某制药厂",
    "天津某港口机械厂",
    "福建某纺织集团",
    "河南某工程机械厂",
    "辽宁某石化企业",
]
PRODUCTS = [
    ("HC-P500", "高精度压力变送器"),
    ("HC-T200", "温湿度传感器"),
    ("HC-L30", "激光位移传感器"),
    ("HC-V80", "振动监测传感器"),
    ("HC-F10", "电磁流量计"),
    ("HC-M12", "电感式接近开关"),
    ("HC-D200", "称重传感器"),
    ("HC-G6", "工业物联网网关"),
]
NPD_TITLES = [
    "HC-P600 卫生型压力变送器开发",
    "HC-T300 无线温湿度传感器（LoRa）开发",
    "HC-V90 风电齿轮箱振动监测传感器开发",
    "HC-L50 长量程激光位移传感器开发",
    "HC-M18 IO-Link 接近开关系列开发",
    "HC-H2 氢气泄漏检测传感器开发",
    "HC-Q3 非接触式扭矩传感器开发",
    "HC-G8 5G 边缘采集网关开发",
    "HC-X1 多参数水质传感器开发",
    "HC-F20 电磁流量计新一代转换器开发",
    "HC-D300 防爆称重传感器开发",
    "HC-P500 压力变送器降本改型",
]
COMPLAINT_ISSUES = [
    "读数漂移超差",
    "批量产品通讯中断",
    "到货外壳破损",
    "零点不稳定",
    "防护等级不达标（进水）",
    "标定证书与实物编号不符",
    "接插件松动",
    "现场高温下输出异常",
    "说明书与实际接线不一致",
    "发货数量短缺",
    "EMC干扰导致误报警",
    "固件升级后无法联网",
]


# --------------------------------------------------------------------------- company


def load_company() -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, list[str]]]:
    data = yaml.safe_load(COMPANY.read_text(encoding="utf-8"))
    departments = {str(d["code"]): d for d in data["departments"]}
    people: dict[str, list[str]] = {}
    for person in data["people"]:
        if person.get("active", True):
            people.setdefault(str(person["department"]), []).append(str(person["username"]))
    return data["organization"], departments, people


def check_departments(departments: dict[str, dict[str, Any]]) -> None:
    steps = [*NPD_STEPS, *ORDER_V2_STEPS, *COMPLAINT_STEPS]
    codes = {s.responsible for s in steps} | {c for s in steps for c in s.cooperating}
    codes |= {str(p["owner"]) for p in PROCESSES}
    unknown = sorted(codes - set(departments))
    if unknown:
        raise SystemExit(f"unknown department codes: {', '.join(unknown)}")
    for step in steps:
        if step.responsible in step.cooperating:
            raise SystemExit(f"{step.code}: the responsible department is also cooperating")


class Schedules:
    """The schedule that times each department: its own, else the nearest ancestor's, else the organization's."""

    def __init__(self, organization: dict[str, Any], departments: dict[str, dict[str, Any]]) -> None:
        self.tz = ZoneInfo(str(organization.get("timezone") or "Asia/Shanghai"))
        self.org = Schedule.from_spec(organization.get("schedule"), self.tz)
        self.departments = departments
        self._cache: dict[str, Schedule] = {}

    def of(self, code: str) -> Schedule:
        if code not in self._cache:
            node: str | None = code
            schedule = self.org
            while node is not None:
                dept = self.departments[node]
                if dept.get("schedule") is not None:
                    schedule = Schedule.from_spec(dept["schedule"], self.tz)
                    break
                parent = dept.get("parent")
                node = str(parent) if parent is not None else None
            self._cache[code] = schedule
        return self._cache[code]


# --------------------------------------------------------------------------- generation


def minutes(value: float) -> timedelta:
    return timedelta(minutes=max(1, round(value)))


def month_index(moment: datetime) -> int:
    return min(5, max(0, moment.month - 6))


def opening_instants(rng: random.Random, schedule: Schedule, tz: ZoneInfo, counts: list[int]) -> list[datetime]:
    """Random instants inside working periods, ``counts[i]`` of them in month June + i."""
    instants: list[datetime] = []
    for index, count in enumerate(counts):
        month = 6 + index
        first = date(2026, month, 1)
        last = LAST_DAY if month == LAST_DAY.month else date(2026, month + 1, 1) - timedelta(days=1)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        working = [d for d in days if schedule.is_working_day(d)]
        # Weekends count less even for a seven-day schedule: fewer customers call.
        weights = [1.0 if d.weekday() < 5 else 0.35 for d in working]
        if month == LAST_DAY.month:  # the last weeks are busier: the work still running at the end
            weights = [w * (1 + d.day / 4) for w, d in zip(weights, working, strict=True)]
        for _ in range(count):
            day = rng.choices(working, weights=weights)[0]
            start = datetime(day.year, day.month, day.day, tzinfo=tz)
            offset = rng.uniform(0, schedule.day_length.total_seconds() / 60 - 20)
            instants.append(schedule.add_working_time(start, minutes(offset)))
    instants.sort()
    return instants


def step_duration(rng: random.Random, step: Step, schedule: Schedule, started: datetime) -> timedelta:
    limit = parse_duration(step.time_limit).to_timedelta(schedule)
    p_late = LATE_BY_MONTH.get(step.code, LATE_DEFAULT)[month_index(started)]
    if rng.random() < p_late:
        ratio = rng.uniform(1.06, 1.9 if step.code in ("TS-RCA", "ORD-PURCH") else 1.5)
    else:
        ratio = rng.uniform(0.3, 0.96)
    return minutes(ratio * limit.total_seconds() / 60)


def handoff(rng: random.Random, moment: datetime) -> timedelta:
    median = HANDOFF_MEDIAN_HOURS[month_index(moment)]
    hours = min(16.0, max(0.25, rng.lognormvariate(0, 0.6) * median))
    return minutes(hours * 60)


def fmt(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def build_case(
    rng: random.Random,
    schedules: Schedules,
    people: dict[str, list[str]],
    process: str,
    ref: str,
    title: str,
    version: int | None,
    steps: list[Step],
    opened: datetime,
    as_of: datetime,
) -> dict[str, Any]:
    tz = schedules.tz
    runs: list[dict[str, Any]] = []
    previous: Step | None = None
    moment = opened
    stuck = opened.date() >= STUCK_FROM and rng.random() < STUCK_SHARE
    for step in steps:
        schedule = schedules.of(step.responsible)
        if previous is None:
            started = schedule.add_working_time(moment, minutes(rng.uniform(5, 50)))
        elif previous.responsible == step.responsible:
            started = schedules.org.add_working_time(moment, minutes(rng.uniform(5, 40)))
        else:
            started = schedules.org.add_working_time(moment, handoff(rng, moment))
        # Every department but CS-400 keeps the organization's hours, and CS-400's hours contain
        # them, so ``started`` lies in the responsible department's working time (or at a period end).
        if started > as_of:
            break
        completed = schedule.add_working_time(started, step_duration(rng, step, schedule, started))
        if stuck and step.code in STUCK_STEPS and schedule.due(started, step.time_limit) < as_of:
            stuck = False
            completed = as_of + timedelta(days=rng.randint(1, 10))
        run: dict[str, Any] = {"step": step.code, "started_at": fmt(started, tz)}
        if completed <= as_of:
            run["completed_at"] = fmt(completed, tz)
        members = people.get(step.responsible) or []
        if members:
            run["assignee"] = rng.choice(members)
        runs.append(run)
        if completed > as_of:
            break
        previous, moment = step, completed
    case: dict[str, Any] = {"process": process, "ref": ref, "title": title}
    if version is not None:
        case["version"] = version
    case["opened_at"] = fmt(opened, tz)
    case["steps"] = runs
    return case


def build_cases(rng: random.Random, schedules: Schedules, people: dict[str, list[str]]) -> list[dict[str, Any]]:
    tz = schedules.tz
    as_of = datetime.fromisoformat(AS_OF_TEXT).replace(tzinfo=tz)
    cases: list[dict[str, Any]] = []

    npd_titles = list(NPD_TITLES)
    rng.shuffle(npd_titles)
    npd_opened = opening_instants(rng, schedules.of("SALES-MKT"), tz, CASES_PER_MONTH["NPD"])
    for number, opened in enumerate(npd_opened, start=1):
        title = npd_titles[(number - 1) % len(npd_titles)]
        cases.append(
            build_case(rng, schedules, people, "NPD", f"NPD-2026-{number:03d}", title, None, NPD_STEPS, opened, as_of)
        )

    order_opened = opening_instants(rng, schedules.of("SALES-DOM"), tz, CASES_PER_MONTH["ORDER"])
    for number, opened in enumerate(order_opened, start=1):
        model, product = rng.choice(PRODUCTS)
        quantity = rng.choice([20, 30, 50, 60, 80, 100, 120, 150, 200, 300, 500])
        title = f"{rng.choice(CUSTOMERS)} {model} {product} ×{quantity}台"
        version, steps = (2, ORDER_V2_STEPS) if opened.date() >= ORDER_V2_FROM else (1, ORDER_V1_STEPS)
        cases.append(
            build_case(rng, schedules, people, "ORDER", f"SO-2026-{number:04d}", title, version, steps, opened, as_of)
        )

    complaint_opened = opening_instants(rng, schedules.of("CS-400"), tz, CASES_PER_MONTH["COMPLAINT"])
    for number, opened in enumerate(complaint_opened, start=1):
        model, product = rng.choice(PRODUCTS)
        title = f"{rng.choice(CUSTOMERS)}：{model} {product}{rng.choice(COMPLAINT_ISSUES)}"
        cases.append(
            build_case(
                rng,
                schedules,
                people,
                "COMPLAINT",
                f"TS-2026-{number:04d}",
                title,
                None,
                COMPLAINT_STEPS,
                opened,
                as_of,
            )
        )
    return cases


# --------------------------------------------------------------------------- writing


def q(value: object) -> str:
    """A YAML scalar that YAML cannot misread: text double-quoted (JSON escapes), integers bare."""
    if isinstance(value, bool) or not isinstance(value, int):
        return json.dumps(str(value), ensure_ascii=False)
    return str(value)


def flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return q(value)


def write_steps(out: list[str], steps: list[Step], indent: str) -> None:
    for step in steps:
        data = step.as_yaml()
        first = True
        for key, value in data.items():
            out.append(f"{indent}{'- ' if first else '  '}{key}: {flow(value)}")
            first = False


def render(organization: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    out = [
        "# 苏州恒川智能装备股份有限公司 —— 演示数据：核心跨部门流程及 2026 年 6–11 月的办理记录",
        "# 由 xietong/demo/build_processes.py 生成（random.Random(2026)），请勿手工修改；先导入 company.yaml。",
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
    out.append("processes:")
    for process in PROCESSES:
        out.append(f"  - code: {q(process['code'])}")
        for key in ("name", "description", "owner", "version"):
            if key in process:
                out.append(f"    {key}: {q(process[key])}")
        out.append("    steps:")
        write_steps(out, process["steps"], "      ")
        if "previous_versions" in process:
            out.append("    previous_versions:")
            for previous in process["previous_versions"]:
                out.append(f"      - version: {q(previous['version'])}")
                out.append("        steps:")
                write_steps(out, previous["steps"], "          ")
    out.append("records:")
    out.append("  cases:")
    for case in cases:
        first = True
        for key, value in case.items():
            if key == "steps":
                out.append("      steps:")
                out.extend(f"        - {flow(run)}" for run in value)
            else:
                out.append(f"    {'- ' if first else '  '}{key}: {q(value)}")
            first = False
    return "\n".join(out) + "\n"


def summary(cases: list[dict[str, Any]]) -> str:
    steps_of = {"NPD": len(NPD_STEPS), "COMPLAINT": len(COMPLAINT_STEPS)}
    running = 0
    for case in cases:
        runs = case["steps"]
        total = steps_of.get(str(case["process"])) or (len(ORDER_V2_STEPS) if case.get("version") == 2 else 5)
        if len(runs) < total or "completed_at" not in runs[-1]:
            running += 1
    return f"{len(cases)} cases, {running} running at {AS_OF_TEXT}"


def main() -> None:
    organization, departments, people = load_company()
    check_departments(departments)
    schedules = Schedules(organization, departments)
    rng = random.Random(SEED)
    cases = build_cases(rng, schedules, people)
    text = render(organization, cases)
    yaml.safe_load(text)  # a syntax check
    OUTPUT.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {OUTPUT.name}: {summary(cases)}\n")


if __name__ == "__main__":
    main()
