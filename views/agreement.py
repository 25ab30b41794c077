"""Agreement: how far the verifier can be trusted, live, with uncertainty."""

import json

import streamlit as st

from honeybee_core import audit, charts, review
from honeybee_core.config import get_settings
from honeybee_core.stats import DIMENSIONS
from views.common import attempt, current_actor, repo

store = repo()
current_actor()
st.title("Verifier vs experts")
st.caption("Spearman and Pearson with 95 % CIs; the paper reports 0.6-0.8. Refreshes by itself "
           "when anyone submits a rating.")

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
                     key="ag_rule")
ci = r2.radio("CI", ["fisher", "bootstrap"], horizontal=True, key="ag_ci")


@st.fragment(run_every=3)
def live_report() -> None:
    # recompute only when a rating or score changed, or the filters did
    key = (store.data_version(), filters, rule, ci)
    if st.session_state.get("ag_key") != key:
        view = attempt(lambda: audit.page_view(store, filters, rule=rule, ci=ci))
        if view is None:
            return
        st.session_state.update(ag_key=key, ag_result=view[0], ag_pairs=view[1])
    result = st.session_state["ag_result"]
    v_mean, e_mean = st.session_state["ag_pairs"]
    counts = result["counts"]
    st.write(f"**{counts['items']}** items with both scores, **{counts['reviewers']}** reviewers, "
             f"**{counts['verifiers']}** verifiers.")
    tables = audit.report_tables(result)
    figures = {"correlations": charts.correlation_chart(result["verifier_vs_experts"])}
    st.plotly_chart(figures["correlations"], key="ag_corr_chart")
    st.dataframe(tables["verifier_vs_experts"], hide_index=True, key="ag_corr_table",
                 column_config={"p_value": st.column_config.NumberColumn(format="%.1e")})

    for tab, (d, dim) in zip(st.tabs(list(DIMENSIONS)), enumerate(DIMENSIONS), strict=True):
        v = None if v_mean is None else v_mean[:, d]
        e = None if e_mean is None else e_mean[:, d]
        figures[f"scatter_{dim}"] = charts.scatter_dimension(v, e, dim)
        figures[f"bland_altman_{dim}"] = charts.bland_altman(v, e, dim)
        left, right = tab.columns(2)
        left.plotly_chart(figures[f"scatter_{dim}"], key=f"ag_scatter_{dim}")
        right.plotly_chart(figures[f"bland_altman_{dim}"], key=f"ag_ba_{dim}")

    st.subheader("Filter rule against expert approvals")
    section = result["filter"] or {}
    if section.get("rule"):
        st.json(section["rule"], expanded=False)
    figures["threshold_sweep"] = charts.sweep_chart(section.get("sweep"))
    st.plotly_chart(figures["threshold_sweep"], key="ag_sweep")
    sweep = section.get("sweep") or {}
    if sweep.get("best_f1"):
        st.caption(f"Best F1: {sweep['best_f1']}; best precision at the recall floor: "
                   f"{sweep.get('best_precision_at_recall')}")

    st.subheader("Reviewers")
    st.dataframe(tables["per_reviewer"], hide_index=True, key="ag_reviewers")
    st.dataframe(tables["inter_expert_alpha"], hide_index=True, key="ag_alpha")
    st.subheader("Anchoring: blind vs non-blind")
    st.dataframe(tables["anchoring"], hide_index=True, key="ag_anchoring")
    if not tables["verifier_vs_verifier"].empty:
        st.subheader("Verifier vs verifier")
        st.dataframe(tables["verifier_vs_verifier"], hide_index=True, key="ag_vv")
    st.subheader("How many more ratings?")
    st.dataframe(tables["sample_size"], hide_index=True, key="ag_planner")

    d1, d2, d3 = st.columns(3)
    d1.download_button("Report (JSON)", json.dumps(result, indent=2), "agreement.json",
                       key="ag_dl_json")
    d2.download_button("Correlations (CSV)", tables["verifier_vs_experts"].to_csv(index=False),
                       "agreement.csv", key="ag_dl_csv")
    chosen = d3.selectbox("Figure", list(figures), key="ag_fig_pick")
    # the figure's plotly JSON (plotly.io.read_json reopens it); each chart's camera icon saves PNG
    d3.download_button("Figure (plotly JSON)", figures[chosen].to_json(), f"{chosen}.json",
                       key="ag_dl_fig")


live_report()
