"""The analysts' statistics sheets in Chinese: sheet names, titles, notes and readable
column headers (the English are in :mod:`.analysis_book`, beside the tables they describe).

A column name the tables use is shown as a header a reader understands, with the technical
name in the row beneath it. A dotted name (``servqual.tangibles.gap``) is read part by part
(SERVQUAL · 有形性 · 缺口); a name with a part not known here keeps its technical name.
"""

from __future__ import annotations

from .labels import LABELS

ZH_GAP = "缺口 = 感知 P − 期望 E（1–7 分；小于 0 表示感知低于期望）"
ZH_TESTS = ("p_wilcoxon（Wilcoxon 符号秩检验）与 p_t（配对 t 检验）检验平均缺口是否为 0；"
            "p_holm 与 p_t_holm 为各维度间 Holm 调整后的 p 值。p 小于 0.05：缺口不太可能是偶然；"
            "小于 0.001 的 p 值以科学记数显示（如 1.20E-07）。")

# table name → (sheet name, title, note) in Chinese
SHEETS_ZH: dict[str, tuple[str, str, str]] = {
    "accounts": (
        "客户指标", "客户：阶段、贡献、忠诚度、满意度、缺口",
        "每行一个客户。分数按采购中心角色加权；“.mean”为受访者的未加权均值，“.n”为其样本数。"
        f"servqual.*：{ZH_GAP}。满意度、忠诚度各维度、NPS 与 contribution_score 为 0–100。"
        "贡献 = 收入 × 毛利率 − 服务成本；ABC：A = 累计贡献达正贡献 80 % 的客户，B 至 95 %，"
        "C 为其余，D 为亏损。阶段 = 条件全部满足的最高关系阶段；next_unmet = 升入下一阶段还需"
        "满足的条件。空白 = 未知。"),
    "stage_distribution": (
        "阶段分布", "各关系阶段的客户数",
        "n = 处于各阶段的客户数（按阶梯顺序，中断阶段最后）；share = 占已定阶段客户的比例。"),
    "stage_evidence": (
        "阶段依据", "每个客户的各项阶段条件",
        "每行一个客户的一项条件：指标、阈值、客户的数值，以及是否满足（无数值为未知）。"
        "next = TRUE 表示下一阶段的条件；reason = 阈值的来源。比例以 % 显示。"),
    "servqual_tests": (
        "SERVQUAL 检验", "各维度的服务缺口（P − E）",
        f"平均{ZH_GAP}；n = 有缺口的受访者数，n_zero = 缺口为 0 的人数（不参与 Wilcoxon 排序）。"
        f"{ZH_TESTS}"),
    "servqual_items": (
        "SERVQUAL 题项", "题项缺口",
        f"每个题项：期望 e、感知 p 的均值（1–7）与{ZH_GAP}；n = 同时回答了 E 与 P 的受访者数。"),
    "servqual_importance": (
        "重要性", "重要性-绩效",
        "重要性 = 受访者在各维度间分配的 100 分的均值；绩效 = 感知均值换算的 0–100 指数。"
        "两轴在 split 列（各维度均值）处分为四个象限（Martilla 与 James，1977）："
        "“重点改进” = 重要但表现低于平均。n = 分配分数计入的受访者数。"),
    "servqual_derived_importance": (
        "推导重要性", "各维度的推导重要性 × 绩效",
        "重要性 = 各维度感知对受访者满意度指数的解释方差所占份额（%，合计 100），按相对权重法"
        "（Johnson，2000）计算；绩效 = 感知均值，0–100。象限划分同“重要性”表。"),
    "servqual_gap1": (
        "缺口 1", "缺口 1：客户期望 − 经理的估计",
        "customer_e = 客户的平均期望，manager_e = 经理认为客户的期望（1–7）；gap1 = customer_e − "
        "manager_e：大于 0 表示客户的期望高于经理的估计。customer_n、manager_n = 双方的受访者数。"),
    "servqual_account_tests": (
        "客户缺口检验", "每个客户的缺口显著性",
        f"同“SERVQUAL 检验”表，逐个客户：平均{ZH_GAP}，n = 该客户有缺口的受访者数。Holm 调整在"
        "每个客户的各维度间进行。受访者少时，p 值大并不说明没有缺口。"),
    "reliability": (
        "信度", "各构念的 Cronbach α 信度",
        "原始 α 与标准化 alpha_std，附 Feldt 95% 置信区间（ci_lo 至 ci_hi）；n = 使用的完整行数，"
        "k = 题项数。on = 所用的答案（SERVQUAL：感知与缺口）。通常 0.70 及以上可以接受。"),
    "reliability_items": (
        "信度题项", "各构念的题项统计",
        "每个题项，基于计算该构念 α 所用的行：均值、标准差、item_total_r（校正题总相关：该题与"
        "其余题项之和的相关）以及删除该题后的 α。item_total_r 低于 0.30，或删除后 α 上升的题项"
        "值得检查。"),
    "model_paths": (
        "模型路径", "满意度指数模型：路径系数",
        "基于标准化得分的 PLS 路径模型：路径系数 = 其他来源不变时，来源每变化一个标准差，目标变化"
        "的标准差数；标准误、t 与 p 来自每个目标对其来源的回归。p 小于 0.05：路径不太可能为 0。"),
    "model_constructs": (
        "模型构念", "R²、平均提取方差、Dillon-Goldstein ρ、0–100 指数",
        "每个构念：k = 指标数；r2 = 指向它的路径解释的方差比例（外生构念为空）；ave = 平均提取"
        "方差（0.50 及以上：各指标测量同一事物）；alpha_std 与 dg_rho = 信度（0.70 及以上）；"
        "eig_1st、eig_2nd = 该指标块的特征值（一个大、其余小于 1：单一维度）；index = 构念的"
        "0–100 得分，与 ACSI 的报告方式相同。"),
    "model_outer": (
        "模型指标", "外部权重与载荷",
        "每个指标：weight = 它在构念得分中的权重；loading = 它与构念得分的相关（0.70 及以上为好）；"
        "communality = 载荷²；redundancy = 共同度 × 构念的 R²；index_weight = 每个构念内归一为 1 "
        "的权重，用于 0–100 指数。"),
    "model_effects": (
        "模型效应", "直接、间接与总效应",
        "各构念之间以标准化单位表示的效应：直接 = 路径本身，间接 = 经由中间构念，总效应 = 直接 + "
        "间接。"),
    "model_bootstrap": (
        "模型自助法", "路径的自助法百分位区间",
        "original = 全部数据上的路径估计；mean 与 std_error 为自助重抽样上的均值与标准误；lo 至 hi "
        "= 百分位区间（默认 95 %）。区间不含 0 的路径是稳健的。"),
    "model_drivers": (
        "关键驱动因素", "满意度驱动因素的相对权重",
        "相对权重法（Johnson，2000）：weight = 每个驱动因素在解释方差中的份额（合计为 R²）；"
        "percent = 同一份额占 R² 的百分比（合计 100）；r = 与满意度的相关；beta = 回归系数；"
        "rank 1 = 最强的驱动因素。"),
    "nps": (
        "净推荐值", "净推荐值 NPS",
        "NPS = 推荐者（9–10 分）百分比 − 贬损者（0–6 分）百分比，基于 0–10 分推荐意愿问题的回答；"
        "moe = 95 % 误差范围；n = 回答数。"),
    "loyalty": (
        "忠诚度", "忠诚度的四个维度",
        "每个指标：回答者在 0–100 分上的均值；n = 回答者数。"),
    "rated_importance": (
        "评分重要性", "基于评分重要性的重要性-绩效",
        "重要性 = 重要性评分均值，绩效 = 感知均值，均为 0–100；象限在各构念的均值处划分；"
        "n = 受访者数。"),
    "free_text": (
        "开放回答", "受访者的原话",
        "每行一份答卷，附其客户与角色；一律按文本保存，绝不作为公式。"),
    "segments": (
        "细分群体", "按客户类型、行业与负责人的组合指标",
        "每行一个细分群体（segment = 列，value = 取值；all = 全部受访者）：NPS 及其误差范围、"
        f"各维度期望 e、感知 p 与{ZH_GAP}、Holm 调整的 p 值、满意度与忠诚度指数，均为该群体受访者"
        "的简单均值；“.n”为其样本数。"),
    "segment_items": (
        "细分群体题项", "各细分群体的题项缺口",
        f"每个细分群体与题项：期望 e、感知 p 的均值（1–7）与{ZH_GAP}；n = 同时回答了 E 与 P 的"
        "受访者数。"),
}
ZH_OTHER_NOTE = "由分析计算得出；n = 每个数字所依据的受访者或客户数。"
BY_COLUMN_ZH = {"role": "角色", "wave": "调查", "customer_type": "客户类型", "owner": "负责人",
                "industry": "行业", "lang": "语言"}


def by_sheet_zh(column: str) -> tuple[str, str, str]:
    """The zh (sheet name, title, note) of a ``servqual_by_<column>`` table."""
    shown = BY_COLUMN_ZH.get(column, column)
    return (f"SERVQUAL（按{shown}）", f"按{shown}的服务缺口",
            f"每个{shown}的受访者均值：各维度的 e、p 与{ZH_GAP}；unweighted = SERVQUAL（平均"
            "缺口），weighted = 按重要性分数加权，servperf = 感知均值。“.n” = 每个均值所依据的"
            "受访者数。")


# readable headers of the statistics' columns: (zh, en)
HEADERS: dict[str, tuple[str, str]] = {
    "dimension": ("维度", "Dimension"), "construct": ("构念", "Construct"),
    "instrument": ("问卷", "Instrument"), "item": ("题项", "Item"), "n": ("样本数", "n"),
    "k": ("题项数", "Items"), "alpha": ("信度 α", "Cronbach's alpha"),
    "alpha_std": ("标准化 α", "Standardized alpha"), "ci_lo": ("95% 区间下限", "95% CI low"),
    "ci_hi": ("95% 区间上限", "95% CI high"), "on": ("基于", "Computed on"),
    "mean": ("均值", "Mean"), "sd": ("标准差", "SD"),
    "item_total_r": ("校正题总相关", "Corrected item-total r"),
    "alpha_if_deleted": ("删除该题后 α", "Alpha if deleted"),
    "alpha_std_if_deleted": ("删除后标准化 α", "Std. alpha if deleted"),
    "path": ("路径", "Path"), "source": ("自", "From"), "target": ("至", "To"),
    "estimate": ("路径系数", "Path coefficient"), "std_error": ("标准误", "Std. error"),
    "t": ("t 值", "t"), "p": ("p 值", "p"), "r2": ("决定系数 R²", "R²"),
    "ave": ("平均提取方差", "AVE"), "dg_rho": ("组合信度 ρ", "Composite reliability ρ"),
    "index": ("0–100 指数", "Index 0–100"), "weight": ("权重", "Weight"),
    "loading": ("载荷", "Loading"), "direct": ("直接效应", "Direct"),
    "indirect": ("间接效应", "Indirect"), "total": ("总效应", "Total"),
    "p_wilcoxon": ("Wilcoxon 检验 p 值", "Wilcoxon p"), "p_holm": ("Holm 调整 p", "Holm p"),
    "p_t": ("t 检验 p", "Paired t p"), "p_t_holm": ("t 检验 Holm p", "Paired t Holm p"),
    "w_stat": ("Wilcoxon 统计量", "Wilcoxon W"), "w_method": ("Wilcoxon 方法", "W method"),
    "n_zero": ("零缺口数", "Zero gaps"), "gap": ("缺口 P−E", "Gap P−E"),
    "e": ("期望 E", "Expectation"), "percent": ("占比 %", "Percent"),
    "r": ("相关 r", "Correlation r"), "beta": ("回归系数", "Beta"), "rank": ("排名", "Rank"),
    "account_id": ("客户编号", "Account code"), "type": ("类型", "Type"),
    "eig_1st": ("第一特征值", "1st eigenvalue"), "eig_2nd": ("第二特征值", "2nd eigenvalue"),
    "communality": ("共同度", "Communality"), "redundancy": ("冗余度", "Redundancy"),
    "index_weight": ("指数权重", "Index weight"), "driver": ("驱动因素", "Driver"),
    "importance": ("重要性", "Importance"), "performance": ("绩效", "Performance"),
    "quadrant": ("象限", "Quadrant"),
    "importance_split": ("重要性分界", "Importance split"),
    "performance_split": ("绩效分界", "Performance split"),
    "measure": ("指标", "Measure"), "nps": ("净推荐值 NPS", "NPS"),
    "moe": ("误差范围 ±", "Margin of error ±"), "promoters": ("推荐者", "Promoters"),
    "passives": ("被动者", "Passives"), "detractors": ("贬损者", "Detractors"),
    "segment": ("细分维度", "Segment"), "value": ("取值", "Value"),
    "accounts": ("客户数", "Accounts"), "responses": ("答卷数", "Responses"),
    "block_communality": ("块共同度", "Block communality"),
    "mean_redundancy": ("平均冗余度", "Mean redundancy"),
    "index_n": ("指数样本数", "Index n"), "indicator": ("指标", "Indicator"),
    "original": ("原始估计", "Original"), "lo": ("区间下限", "Low"), "hi": ("区间上限", "High"),
    "role": ("角色", "Role"), "wave": ("调查", "Wave"), "customer_type": ("客户类型",
                                                                       "Customer type"),
    "owner": ("负责人", "Owner"), "industry": ("行业", "Industry"),
    "servqual": ("SERVQUAL", "SERVQUAL"), "servperf": ("SERVPERF 感知均值", "SERVPERF"),
    "unweighted": ("未加权缺口", "Unweighted gap"), "weighted": ("加权缺口", "Weighted gap"),
    "satisfaction": ("满意度指数", "Satisfaction index"),
    "loyalty_index": ("忠诚度指数", "Loyalty index"),
}
# a dotted name's parts where they differ from a whole column of that name
# (``tangibles.p`` is a mean perception; a column ``p`` is a p-value)
PARTS: dict[str, tuple[str, str]] = {"p": ("感知 P", "Perception"), "n": ("样本数", "n")}

SHEET_NAMES_ZH = {table: names[0] for table, names in SHEETS_ZH.items()}


def readable_header(column: str, lang: str) -> str | None:
    """The header a reader understands for a technical column name (None: not known)."""
    pick = 0 if lang == "zh" else 1
    if column in HEADERS:
        return HEADERS[column][pick]
    if "." not in column:
        return None
    shown = []
    for part in column.split("."):
        if part in PARTS or part in HEADERS:
            shown.append((PARTS.get(part) or HEADERS[part])[pick])
        elif f"dim.{part}" in LABELS[lang]:
            shown.append(LABELS[lang][f"dim.{part}"])
        else:
            return None
    return " · ".join(shown)
