"""Agreement: how far the verifier can be trusted, live, with uncertainty."""

import json

import streamlit as st

from honeybee_core import audit, audit_report, charts, review
from honeybee_core.config import get_settings
from honeybee_core.stats import DIMENSIONS
from honeybee_core.wording import number, plural
from views.common import attempt, current_actor, repo, rerun_on_change

store = repo()
current_actor()
st.title("Verifier vs experts")
st.caption("How far the verifier's scores can stand in for expert judgement: Spearman and Pearson "
           "correlations with 95 % confidence intervals (the paper reports 0.6-0.8), and how well "
           "a filter rule on the verifier's scores picks the items experts approve. The report "
           "refreshes by itself when anyone submits a rating.")

opts = review.filter_options(store)
c1, c2, c3, c4, c5 = st.columns(5)
filters = audit.AuditFilters(
    verifier=c1.selectbox("Verifier", [None, *opts["verifiers"]], key="ag_verifier",
                          format_func=lambda v: v or "all"),
    annotator=c2.selectbox("Reviewer", [None, *store.annotator_names()], key="ag_reviewer",
                           format_func=lambda v: v or "all"),
    stage=c3.selectbox("Stage", [None, *opts["stages"]], key="ag_stage",
                       format_func=lambda v: "all" if v is None else str(v)),
    topic=c4.selectbox("Topic", [None, *opts["topics"]], key="ag_topic",
                       format_func=lambda v: v or "all"),
    blind_only=c5.toggle("Blind ratings only", key="ag_blind"),
)
r1, r2 = st.columns([3, 1])
rule = r1.text_input("Filter rule to test against expert approvals", get_settings().filter_rule,
                     key="ag_rule", help="e.g. mean>=95,min>=90 (the paper's) or accuracy>=90")
ci = r2.radio("Confidence intervals", ["fisher", "bootstrap"], horizontal=True, key="ag_ci",
              format_func={"fisher": "Fisher z", "bootstrap": "Bootstrap"}.get)


def rule_section(section: dict | None) -> None:
    st.subheader("Filter rule against expert approvals")
    ruled = audit_report.rule_report(section)
    if ruled is None:
        st.caption("Appears once experts have approved or rejected scored items.")
        return
    st.markdown(f"Rule under test: **{audit_report.rule_words(ruled.rule)}** (`{ruled.rule}`)")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Precision", number(ruled.precision), help="Of the items the rule keeps, the share "
              "experts approved.")
    m2.metric("Recall", number(ruled.recall), help="Of the items experts approved, the share "
              "the rule keeps.")
    m3.metric("F1", number(ruled.f1), help="Harmonic mean of precision and recall.")
    m4.metric("Items with an expert call", f"{ruled.n:,}")
    left, right = st.columns([2, 3], gap="large")
    left.dataframe(ruled.confusion, hide_index=True, key="ag_confusion")
    left.caption(ruled.sentence)
    with right:
        st.markdown("**Open the items of each cell in Explore**")
        for cell, words in audit_report.CELLS.items():
            st.page_link("views/explore.py", label=f"{plural(ruled.counts[cell], 'item')} "
                         f"{words}", icon="🔎",
                         query_params=audit.explore_params(filters, ruled.rule, cell))
    st.markdown(audit_report.best_threshold(section))


def report() -> None:
    # recompute only when a rating or score changed, or the filters did
    key = (store.data_version(), filters, rule, ci)
    if st.session_state.get("ag_key") != key:
        view = attempt(lambda: audit.page_view(store, filters, rule=rule, ci=ci))
        if view is None:
            return
        st.session_state.update(ag_key=key, ag_result=view[0], ag_pairs=view[1])
    result = st.session_state["ag_result"]
    v_mean, e_mean = st.session_state["ag_pairs"]
    st.markdown(audit_report.headline(result))
    tables = audit_report.tables(result)
    figures = {"correlations": charts.correlation_chart(result["verifier_vs_experts"])}
    st.plotly_chart(figures["correlations"], key="ag_corr_chart")
    st.dataframe(tables["verifier_vs_experts"], hide_index=True, key="ag_corr_table")

    for tab, (d, dim) in zip(st.tabs([d.capitalize() for d in DIMENSIONS]),
                             enumerate(DIMENSIONS), strict=True):
        v = None if v_mean is None else v_mean[:, d]
        e = None if e_mean is None else e_mean[:, d]
        figures[f"scatter_{dim}"] = charts.scatter_dimension(v, e, dim)
        figures[f"bland_altman_{dim}"] = charts.bland_altman(v, e, dim)
        left, right = tab.columns(2)
        left.plotly_chart(figures[f"scatter_{dim}"], key=f"ag_scatter_{dim}")
        right.plotly_chart(figures[f"bland_altman_{dim}"], key=f"ag_ba_{dim}")

    rule_section(result["filter"])
    figures["threshold_sweep"] = charts.sweep_chart((result["filter"] or {}).get("sweep"))
    st.plotly_chart(figures["threshold_sweep"], key="ag_sweep")

    st.subheader("Each reviewer against the verifier")
    st.dataframe(tables["per_reviewer"], hide_index=True, key="ag_reviewers")
    st.subheader("Reviewers against each other")
    st.dataframe(tables["inter_expert_alpha"], hide_index=True, key="ag_alpha")
    st.subheader("Anchoring: blind vs non-blind ratings")
    st.caption("Non-blind reviewers saw the verifier's scores before rating; if they sit closer "
               "to the verifier than blind ones, the scores anchored them.")
    st.dataframe(tables["anchoring"], hide_index=True, key="ag_anchoring")
    for note in audit_report.anchoring_notes(result["anchoring"]):
        st.caption(note)
    if not tables["verifier_vs_verifier"].empty:
        st.subheader("Verifier vs verifier")
        st.dataframe(tables["verifier_vs_verifier"], hide_index=True, key="ag_vv")
    st.subheader("How many more ratings?")
    st.caption("Rated items needed for a 95 % CI on Spearman ρ no wider than the target.")
    st.dataframe(tables["sample_size"], hide_index=True, key="ag_planner")

    d1, d2, d3 = st.columns(3)
    d1.download_button("Report (JSON)", json.dumps(result, indent=2), "agreement.json",
                       key="ag_dl_json")
    d2.download_button("Correlations (CSV)", tables["verifier_vs_experts"].to_csv(index=False),
                       "agreement.csv", key="ag_dl_csv")
    chosen = d3.selectbox("Figure", list(figures), key="ag_fig_pick",
                          format_func=lambda f: f.replace("_", " ").capitalize())
    # the figure's plotly JSON (plotly.io.read_json reopens it); each chart's camera icon saves PNG
    d3.download_button("Figure (plotly JSON)", figures[chosen].to_json(), f"{chosen}.json",
                       key="ag_dl_fig")


report()
rerun_on_change(store.data_version, "ag_seen")  # a new rating anywhere redraws the report
