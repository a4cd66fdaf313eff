"""Chinese business text for generated knowledge pages and the search benchmarks.

Words follow a Zipf–Mandelbrot distribution (the k-th most common word has weight 1/(k + 20)), as in
real text: a vocabulary of workplace words first, then 3,000 two-character words made of common
characters, with English and numbers mixed in (ERP系统, 8D报告, 2026年). The most common words are
therefore in about a third of the documents, most in well under one percent.
"""

from __future__ import annotations

import itertools
import random

BUSINESS = [
    "客户",
    "投诉",
    "流程",
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
    "维护",
    "保养",
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
    "信息",
    "共享",
    "平台",
    "财务",
    "里程碑",
    "满意度",
    "升级",
    "计划",
    "交付",
    "订单",
    "仓库",
    "发货",
    "库存",
    "研发",
    "样机",
    "试制",
    "量产",
    "导入",
    "销售",
    "报价",
    "回款",
    "发票",
    "人力",
    "资源",
    "招聘",
    "入职",
    "离职",
    "考核",
    "绩效",
    "奖金",
    "制度",
    "规范",
    "文件",
    "图纸",
    "工艺",
    "物料",
    "清单",
    "生产",
    "排产",
    "班组",
    "停线",
    "异常",
    "措施",
    "整改",
    "复核",
    "验收",
    "检验",
    "标准",
    "认证",
    "审核",
    "现场",
    "样品",
    "验证",
    "评估",
    "风险",
    "项目",
    "经理",
    "周报",
    "月报",
    "汇报",
    "延误",
    "原因",
    "分析",
    "改进",
    "行动",
    "背景",
    "经验",
    "分享",
    "总结",
    "通知",
    "公告",
    "回执",
    "确认",
    "阅读",
    "发布",
    "更新",
    "查阅",
    "责任",
    "授权",
    "范围",
    "领导",
    "分管",
    "总经办",
    "研发中心",
    "硬件",
    "软件",
    "测试",
    "上线",
    "运维",
    "故障",
    "响应",
    "备件",
    "盘点",
    "成本",
    "利润",
    "市场",
    "推广",
    "渠道",
    "代理",
    "区域",
    "华东",
    "华南",
    "华北",
    "西南",
    "上海",
    "深圳",
    "北京",
    "成都",
    "年度",
    "季度",
    "月度",
    "下周三",
    "本周五",
    "明天",
    "提前",
    "及时",
]
MIXED = ["ERP系统", "8D报告", "2026年", "OA审批", "CRM客户", "MES产线", "KPI考核", "Q3季度", "ISO9001认证", "SAP"]
_CHARACTERS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"
    "多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还"
    "因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结"
)


def _vocabulary() -> list[str]:
    rng = random.Random(1)
    pairs = ["".join(p) for p in itertools.permutations(_CHARACTERS[:90], 2)]
    rng.shuffle(pairs)
    extra = [p for p in pairs if p not in BUSINESS][:3000]
    return BUSINESS + MIXED + extra


VOCABULARY = _vocabulary()
# Zipf–Mandelbrot: the most common word is in about a third of the documents.
_WEIGHTS = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(VOCABULARY))))
PUNCTUATION = "，，，。；、"


def sentence(rng: random.Random, words: int) -> str:
    parts: list[str] = []
    for word in rng.choices(VOCABULARY, cum_weights=_WEIGHTS, k=words):
        parts.append(word)
        if rng.random() < 0.15:
            parts.append(rng.choice(PUNCTUATION))
    return "".join(parts) + "。"


def document(rng: random.Random) -> tuple[str, str]:
    """(title, body): a title of 3–6 words, a body of 20–60 words (about 50–200 characters)."""
    return sentence(rng, rng.randint(3, 6)).rstrip("。"), sentence(rng, rng.randint(20, 60))
