"""The leadership workbook's words in Chinese and English, kept as data.

The CLI's file analysis (no Flask) and the app's export read the same labels, so a coded
value (``price_sensitive``, ``pre_kam``, ``economic``) never reaches the Summary or Accounts
sheet as it is stored. A key missing from a language falls back to English, then to a
readable form of the key (never an error: an instrument file may bring its own ids).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")

_PAIRS: dict[str, tuple[str, str]] = {
    # sheet names (≤ 31 characters)
    "sheet.summary": ("摘要", "Summary"),
    "sheet.accounts": ("客户", "Accounts"),
    "sheet.gaps": ("服务缺口", "Service gaps"),
    "sheet.ipa": ("重要性-绩效", "Importance-performance"),
    "sheet.stages": ("关系阶段", "Relationship stages"),
    "sheet.contribution": ("贡献度", "Contribution"),
    "sheet.method": ("方法说明", "Method"),
    "sheet.responses": ("原始答卷", "Responses"),
    "sheet.actions": ("问题与措施", "Actions"),
    "sheet.comments": ("客户意见", "Comments"),
    "sheet.scorecard": ("记分卡", "Card"),
    # account columns
    "col.account_id": ("客户编号", "Account code"),
    "col.name": ("客户名称", "Account"),
    "col.industry": ("行业", "Industry"),
    "col.customer_type": ("客户类型", "Customer type"),
    "col.owner": ("负责人", "Owner"),
    "col.stage": ("关系阶段", "Stage"),
    "col.abc": ("ABC 分类", "ABC class"),
    "col.revenue": ("收入", "Revenue"),
    "col.contribution": ("贡献", "Contribution"),
    "col.share_of_wallet": ("钱包份额", "Share of wallet"),
    "col.growth": ("增长", "Growth"),
    "col.nps": ("NPS（角色加权）", "NPS (role-weighted)"),
    "col.nps_unweighted": ("NPS（未加权）", "NPS (unweighted)"),
    "col.nps_n": ("NPS 样本数", "NPS n"),
    "col.satisfaction": ("满意度指数", "Satisfaction index"),
    "col.loyalty_index": ("忠诚度指数", "Loyalty index"),
    "col.servqual": ("SERVQUAL 缺口", "SERVQUAL gap"),
    "col.responses": ("答卷数", "Responses"),
    "col.invited": ("邀请数", "Invited"),
    "col.responded": ("回复数", "Responded"),
    "col.roles": ("作答角色", "Roles answered"),
    "col.quadrant": ("忠诚象限", "Loyalty quadrant"),
    "col.dimension": ("维度", "Dimension"),
    "col.item": ("题项", "Item"),
    "col.e": ("期望 E", "Expectation E"),
    "col.p": ("感知 P", "Perception P"),
    "col.gap": ("缺口 P−E", "Gap P−E"),
    "col.n": ("样本数 n", "n"),
    "col.alpha": ("信度 α", "Alpha"),
    "col.p_wilcoxon": ("p 值", "p"),
    "col.p_holm": ("Holm 调整 p", "Holm p"),
    "col.customer_e": ("客户期望", "Customers' E"),
    "col.manager_e": ("经理估计", "Managers' estimate"),
    "col.gap1": ("缺口 1", "Gap 1"),
    "col.importance": ("重要性", "Importance"),
    "col.performance": ("绩效", "Performance"),
    "col.quadrant_ipa": ("象限", "Quadrant"),
    "col.count": ("客户数", "Accounts"),
    "col.share": ("占比", "Share"),
    "col.cumulative_share": ("累计占比", "Cumulative share"),
    "col.met": ("已满足的条件", "Criteria met"),
    "col.not_met": ("未满足的条件", "Criteria not met"),
    "col.next_stage": ("下一阶段", "Next stage"),
    "col.next_unmet": ("升级还需", "Next stage still needs"),
    "col.measure": ("指标", "Measure"),
    "col.value": ("数值", "Value"),
    "col.definition": ("定义", "Definition"),
    "col.problem": ("问题", "Problem"),
    "col.action": ("措施", "Action"),
    "col.due": ("截止日期", "Due"),
    "col.open_tasks": ("未关闭任务", "Open tasks"),
    "col.first_due": ("最早截止日期", "First due"),
    "col.source": ("来源", "Source"),
    "col.text": ("内容", "Text"),
    "col.role": ("角色", "Role"),
    "col.date": ("日期", "Date"),
    "col.technical": ("技术名称", "Technical name"),
    "col.previous": ("上一期", "Previous wave"),
    "col.change": ("变化", "Change"),
    "col.target": ("目标", "Target"),
    "col.segment_value": ("本细分群体", "This segment"),
    "col.response_id": ("答卷编号", "Response"),
    "col.contact_id": ("联系人编号", "Contact code"),
    "col.wave": ("调查", "Wave"),
    "col.lang": ("作答语言", "Language"),
    "col.submitted_at": ("提交时间", "Submitted at"),
    "col.portfolio": ("全部客户", "All accounts"),
    # summary measures
    "m.accounts": ("调查客户数", "Accounts surveyed"),
    "m.responses": ("答卷数", "Responses"),
    "m.response_rate": ("回复率", "Response rate"),
    "m.revenue_coverage": ("收入覆盖率", "Revenue coverage"),
    "m.nps": ("净推荐值 NPS", "NPS"),
    "m.nps_moe": ("NPS 误差范围 ±", "NPS margin of error ±"),
    "m.servqual_weighted": ("加权 SERVQUAL 缺口", "Weighted SERVQUAL gap"),
    "m.satisfaction": ("满意度指数", "Satisfaction index"),
    "m.loyalty": ("忠诚度指数", "Loyalty index"),
    "m.satisfied_rate": ("满意客户比例", "Satisfied-customer rate"),
    "m.total_revenue": ("收入合计", "Total revenue"),
    "m.total_contribution": ("贡献合计", "Total contribution"),
    "m.loss_makers": ("亏损客户数", "Loss-making accounts"),
    "m.wallet": ("客户品类总支出", "Wallet"),
    # titles
    "t.summary": ("客户满意度与忠诚度：管理层摘要", "Customer satisfaction and loyalty: summary"),
    "t.headline": ("关键指标", "Headline figures"),
    "t.stage_mix": ("关系阶段分布", "Relationship stages"),
    "t.top_gaps": ("五个最大服务缺口（题项）", "The five largest service gaps (items)"),
    "t.accounts": ("客户一览", "Accounts"),
    "t.gaps": ("服务缺口（SERVQUAL，P − E）", "Service gaps (SERVQUAL, P − E)"),
    "t.gap_items": ("题项缺口", "Item gaps"),
    "t.gap1": ("缺口 1：客户期望 − 经理的估计", "Gap 1: customers' E − managers' estimate"),
    "t.ipa": ("重要性-绩效分析", "Importance–performance analysis"),
    "t.stages": ("关系阶段", "Relationship stages"),
    "t.stage_by_type": ("按客户类型的阶段分布", "Stages by customer type"),
    "t.evidence": ("每个客户的阶段依据", "Each account's stage and its evidence"),
    "t.contribution": ("贡献度帕累托（ABC）", "Contribution Pareto (ABC)"),
    "t.loss": ("亏损客户", "Loss-making accounts"),
    "t.method": ("方法与定义", "Method and definitions"),
    "t.responses": ("原始答卷（宽表）", "Raw answers (wide format)"),
    "t.actions": ("问题与改进措施", "Problems and actions"),
    "t.comments": ("客户意见原文", "What respondents wrote"),
    "t.card": ("客户记分卡", "Account scorecard"),
    # notes
    "n.formulas": ("合计与比率是基于“客户”工作表的实时公式：修改客户数据，合计随之更新。",
                   "Totals and ratios are live formulas over the Accounts sheet: edit an "
                   "account's figures and they follow."),
    "n.accounts": ("每行一个客户。分数按采购中心角色加权；缺口 = 感知 − 期望（1–7 分，"
                   "负值表示未达期望）；指数为 0–100。空白 = 未知。",
                   "One row per account. Scores are weighted over the buying centre's roles; "
                   "gap = perception − expectation on 1–7 (below 0: short of expectation); "
                   "indices 0–100. Blank = not known."),
    "n.gaps": ("E、P 为 1–7 分均值；缺口 < 0 表示感知低于期望。p 为 Wilcoxon 符号秩检验，"
               "Holm 调整后小于 0.05 表示缺口不太可能是偶然。",
               "E and P are means on 1–7; a gap below 0 means perception falls short. p is "
               "the Wilcoxon signed-rank test; a Holm p below 0.05 marks a gap unlikely to "
               "be chance."),
    "n.ipa": ("横轴为重要性（客户分配的 100 分），纵轴为绩效（感知，0–100）；虚线为各维度均值，"
              "右下象限“重点改进”。",
              "Across: importance (the 100 points respondents shared); up: performance "
              "(perception, 0–100); the lines are the means over the dimensions; bottom "
              "right is 'concentrate here'."),
    "n.stages": ("客户处于其所有条件（及以下各阶段条件）都满足的最高阶段。",
                 "An account stands at the highest stage whose criteria, and those of every "
                 "stage below, all hold."),
    "n.contribution": ("贡献 = 收入 × 毛利率 − 服务成本。A 类累计贡献至 80 %，B 至 95 %，"
                       "C 为其余正贡献，D 为零或亏损。",
                       "Contribution = revenue × margin − cost to serve. A: accounts up to "
                       "80 % of positive contribution, B to 95 %, C the rest, D zero or "
                       "loss-making."),
    "n.responses": ("每行一份答卷；表头为题项，其下一行为列名（题项编号，sq05.e = 第 5 题期望），"
                    "与 surveyapp analyze 读取的文件格式相同。文本一律按文本保存。",
                    "One row per response; headers name the items, with the column names "
                    "beneath (item ids, sq05.e = item 5's expectation), the file format "
                    "'surveyapp analyze' reads. Free text is always stored as text."),
    "n.anonymous": ("匿名调查：不显示联系人，少于三份答卷的角色合并为“其他角色”。",
                    "Anonymous wave: no contact is shown; roles with fewer than three answers "
                    "in an account read as 'other roles'."),
    "n.no_invitations": ("邀请数与回复率未知：分析的文件只记录了谁作答，没有记录邀请了谁。",
                         "Invitations and the response rate are not known: the files "
                         "analysed record who answered, not who was invited."),
    "n.segment": ("本表只含 {segment} 的客户：NPS、缺口与指数为该细分群体受访者的数字，"
                  "“全部客户”列为全部受访者的同口径数字。",
                  "Only the accounts of {segment}: NPS, gaps and indices are this "
                  "segment's respondents' figures; 'All accounts' gives every respondent's, "
                  "computed the same way."),
    "n.no_previous": ("没有上一期调查的数字：“上一期”与“变化”两列为空。",
                      "No earlier wave has figures: 'Previous wave' and 'Change' are empty."),
    "n.tasks": ("来源：系统中未关闭的跟进任务，每个客户一行；同一措施只列一次，×n 为次数。",
                "Source: the open follow-up tasks, one row per account; each action once, "
                "×n for how many times."),
    "n.gap_actions": ("来源：尚无跟进任务，以下为按最大服务缺口提出的改进措施（负责人待定）。",
                      "Source: no follow-up task is open; these are improvement actions from "
                      "the largest service gaps (owner to be named)."),
    "n.card": ("该客户在本期的各项指标；缺口 = 感知 − 期望。",
               "This account's figures in this wave; gap = perception − expectation."),
    "n.stats": ("供分析人员使用的统计表；表头为说明，技术名称见第二行。",
                "Statistics for analysts; headers say what a column holds, the technical "
                "name is in the row below."),
    "n.few": ("答卷少于 {n} 份的数字仅供参考：", "Figures resting on fewer than {n} answers "
              "(read with care): "),
    # words
    "w.none": ("无", "none"),
    "w.filters": ("筛选", "Filters"),
    "w.wave": ("调查", "Wave"),
    "w.as_of": ("数据时间", "Data as of"),
    "w.all": ("全部", "all"),
    "w.target_met": ("达标", "met"),
    "w.target_missed": ("未达标", "not met"),
    "w.other_roles": ("其他角色", "Other roles"),
    "w.improve": ("提升“{item}”（缺口 {gap}）", "Raise '{item}' (gap {gap})"),
    "w.gap_problem": ("{dim}：感知低于期望", "{dim}: perception below expectation"),
    "w.total": ("合计", "Total"),
    "w.not_known": ("未知", "not known"),
    "w.yes": ("是", "yes"),
    "w.no": ("否", "no"),
    "w.needs": ("{name} {value}，需要 {need}", "{name} {value}, needs {need}"),
    "w.mean_of_accounts": ("客户均值", "Mean of accounts"),
    "w.e": ("期望 E", "expectation E"),
    "w.p": ("感知 P", "perception P"),
    "w.points": ("重要性分配：{dim}", "Points given to {dim}"),
    # coded values
    "customer_type.price_sensitive": ("价格敏感型", "Price-sensitive"),
    "customer_type.value_added": ("附加价值型", "Value-added"),
    "customer_type.partnership": ("合作伙伴型", "Partnership"),
    "role.economic": ("经济买家", "Economic buyer"),
    "role.technical": ("技术买家", "Technical buyer"),
    "role.user": ("使用买家", "User buyer"),
    "role.financial": ("财务买家", "Financial buyer"),
    "role.coach": ("教练买家", "Coach"),
    "role.influencer": ("影响力买家", "Influencer"),
    "role.unknown": ("未知角色", "Unknown role"),
    "role.other": ("其他角色", "Other roles"),
    "stage.pre_kam": ("孕育阶段", "Pre-KAM (incubation)"),
    "stage.early": ("初级阶段", "Early KAM"),
    "stage.mid": ("中级阶段", "Mid KAM"),
    "stage.partnership": ("伙伴式阶段", "Partnership KAM"),
    "stage.synergistic": ("协作式阶段", "Synergistic KAM"),
    "stage.uncoupling": ("中断阶段", "Uncoupling"),
    "quadrant.loyalist": ("忠诚者", "Loyalist"),
    "quadrant.mercenary": ("唯利者", "Mercenary"),
    "quadrant.hostage": ("人质", "Hostage"),
    "quadrant.defector": ("背离者", "Defector"),
    "ipa.concentrate here": ("重点改进", "Concentrate here"),
    "ipa.keep up the good work": ("继续保持", "Keep up the good work"),
    "ipa.low priority": ("次要", "Low priority"),
    "ipa.possible overkill": ("可能过度", "Possible overkill"),
    "dim.tangibles": ("有形性", "Tangibles"),
    "dim.reliability": ("可靠性", "Reliability"),
    "dim.responsiveness": ("响应性", "Responsiveness"),
    "dim.assurance": ("保证性", "Assurance"),
    "dim.empathy": ("移情性", "Empathy"),
    "ind.share_of_wallet": ("钱包份额", "Share of wallet"),
    "ind.roles_covered": ("覆盖的买家角色数", "Buying roles covered"),
    "ind.loyalty_index": ("忠诚度指数", "Loyalty index"),
    "ind.trust": ("信任", "Trust"),
    "ind.joint_planning": ("共同计划", "Joint planning"),
    "ind.info_sharing": ("信息共享", "Information sharing"),
    "ind.exec_sponsor": ("高层支持", "Executive sponsor"),
    "ind.supplier_status": ("供应商地位", "Supplier status"),
    "ind.revenue_trend": ("收入趋势", "Revenue trend"),
    "ind.contact_levels": ("联系层级", "Contact levels"),
    "ind.contact_functions": ("联系职能数", "Contact functions"),
}

LABELS: dict[str, dict[str, str]] = {
    "zh": {k: zh for k, (zh, _en) in _PAIRS.items()},
    "en": {k: en for k, (_zh, en) in _PAIRS.items()},
}


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r} "
                         "(argument lang)")
    return lang


class Labels:
    """``labels("col.stage")`` → the text in the workbook's language."""

    def __init__(self, lang: str, extra: Mapping[str, str] | None = None) -> None:
        self.lang = check_language(lang)
        self.extra = dict(extra or {})  # e.g. item texts and dimension names of the run

    def __call__(self, key: str, **values: object) -> str:
        text = self.extra.get(key) or LABELS[self.lang].get(key) or LABELS["en"].get(key)
        if text is None:
            text = key.split(".", 1)[-1].replace("_", " ").capitalize()
        return text.format(**values) if values else text

    def coded(self, kind: str, value: object) -> str:
        """A coded value's name (``coded("stage", "pre_kam")``); blank stays blank."""
        if value is None or (isinstance(value, float) and value != value) or value == "":
            return ""
        return self(f"{kind}.{value}")

    def roles(self, value: object) -> str:
        """A comma-separated role list, each role named."""
        if not isinstance(value, str) or not value:
            return ""
        sep = "、" if self.lang == "zh" else ", "
        return sep.join(self.coded("role", r.strip()) for r in value.split(",") if r.strip())
