"""The Method sheet's definitions, written for a reader who has only the workbook."""

from __future__ import annotations

_DEFINITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("服务缺口（SERVQUAL）",
     "每个题项问两次（1–7 分）：期望 E（卓越供应商应做到）与感知 P（我们做到）。缺口 = P − E，"
     "每位受访者按维度取均值，再对受访者取均值。负值表示未达期望。",
     "Service gap (SERVQUAL)",
     "Each item is asked twice on 1–7: expectation E (what an excellent supplier would do) "
     "and perception P (what we do). Gap = P − E, averaged per respondent over a dimension's "
     "items, then over respondents. Below 0: short of expectation."),
    ("加权 SERVQUAL",
     "受访者把 100 分分配给五个维度；加权缺口 = Σ（分数/100 × 维度缺口），仅计分数合计为 100 "
     "且五个维度都有缺口的受访者。",
     "Weighted SERVQUAL",
     "Respondents share 100 points across the five dimensions; weighted gap = Σ (points/100 "
     "× dimension gap), over respondents whose points add to 100 and who have all five gaps."),
    ("显著性", "每个维度对 0 做 Wilcoxon 符号秩检验，五个维度间 Holm 调整。",
     "Significance", "Per dimension, Wilcoxon signed-rank test of the gaps against 0; "
     "Holm-adjusted across the five dimensions."),
    ("NPS 净推荐值",
     "0–10 分推荐问题：9–10 推荐者，0–6 贬损者；NPS = 100 ×（推荐者比例 − 贬损者比例）；"
     "误差范围 = 1.96 × 100 × √((p + d − (p − d)²)/n)。",
     "NPS",
     "The 0–10 recommend question: promoters 9–10, detractors 0–6; NPS = 100 × (p − d); "
     "margin of error = 1.96 × 100 × √((p + d − (p − d)²)/n)."),
    ("满意度与忠诚度指数",
     "顾客满意度指数模型（PLS 路径模型）：外部权重归一后作用于 0–100 标准化的题项，"
     "与 ACSI 相同。",
     "Satisfaction and loyalty indices",
     "Customer satisfaction index model (PLS path model): outer weights rescaled to sum to 1, "
     "applied to the indicators rescaled to 0–100, as the ACSI reports."),
    ("客户汇总（采购中心加权）",
     "客户分数 = Σ 角色权重 × 该角色受访者均值 / 在场角色权重之和；默认权重：经济 0.30、技术 0.25、"
     "使用 0.15、财务 0.10、教练 0.10、影响者 0.10。",
     "Account roll-up (buying centre)",
     "Account score = Σ role weight × that role's mean / Σ weights of the roles present; "
     "default weights economic 0.30, technical 0.25, user 0.15, financial 0.10, coach 0.10, "
     "influencer 0.10."),
    ("贡献与 ABC",
     "贡献 = 收入 × 毛利率 − 服务成本；钱包份额 = 收入 / 客户该品类总支出；"
     "增长 = 收入 / 上期收入 − 1。"
     "按贡献降序：累计达正贡献 80 % 为 A，95 % 为 B，其余正贡献为 C，零或负为 D。",
     "Contribution and ABC",
     "Contribution = revenue × margin − cost to serve; share of wallet = revenue / the "
     "account's category spend; growth = revenue / previous revenue − 1. By contribution, "
     "descending: A up to 80 % of positive contribution, B to 95 %, C the rest, D zero or "
     "negative."),
    ("关系阶段",
     "孕育、初级、中级、伙伴式、协作式（Millman & Wilson），另有中断。客户处于其条件及以下各阶段"
     "条件全部满足的最高阶段；中断条件成立时优先。",
     "Relationship stages",
     "Pre-KAM, early, mid, partnership, synergistic (Millman & Wilson), plus uncoupling. An "
     "account stands at the highest stage whose criteria, and those below, all hold; "
     "uncoupling overrides when its criteria hold."),
    ("满意客户比例",
     "满意度指数达到满意分界（见摘要）的客户占有满意度指数客户的比例；目标为设置值。",
     "Satisfied-customer rate",
     "Share of accounts with a satisfaction index at or above the satisfied cut-off (shown "
     "on the Summary) among those with an index; the target is a setting."),
    ("缺失值", "缺失答案不计为 0；每个统计量都注明其样本数 n。",
     "Missing answers", "Missing answers never count as zero; every statistic gives its n."),
)


def definitions(lang: str) -> list[tuple[str, str]]:
    return [(zh_term, zh_text) if lang == "zh" else (en_term, en_text)
            for zh_term, zh_text, en_term, en_text in _DEFINITIONS]
