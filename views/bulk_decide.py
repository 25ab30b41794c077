"""The Explore page's bulk decision (curators): on the filtered table, or by a rule; each says
what it applies to, with the count, before anything is written."""

from __future__ import annotations

import streamlit as st

from honeybee_core import explore, review
from honeybee_core.auth import Actor
from honeybee_core.config import get_settings
from honeybee_core.domain import ExploreQuery
from honeybee_core.store import Repository
from honeybee_core.wording import past, plural
from views.common import attempt

_ALL_RULE = {"approve": "approve items that pass", "reject": "reject items that fail"}


def bulk_section(store: Repository, actor: Actor, query: ExploreQuery, total: int) -> None:
    """An expander with both ways; on success it leaves a message in ex_msg and reruns."""
    with st.expander("Bulk decision (curators)"):
        scope = st.radio("Apply to", ["rule", "table"], horizontal=True, key="ex_bulk_scope",
                         format_func={"rule": "the items a rule selects (preview first)",
                                      "table": f"the {plural(total, 'item')} matching the "
                                      "filters above"}.get)
        if scope == "table":
            _on_table(store, actor, query, total)
        else:
            _by_rule(store, actor)


def _on_table(store: Repository, actor: Actor, query: ExploreQuery, total: int) -> None:
    decision = st.radio("Decision", ["approve", "reject"], horizontal=True, key="ex_tbl_decision")
    st.info(f"{plural(total, 'item')} would be {past(decision)}: every item matching the filters "
            f"above ({explore.describe_query(query)}), on every page of the table, not only "
            "this one.")
    st.caption("Set Decision above to undecided to leave decided items alone.")
    if total and st.button(f"{decision.capitalize()} {plural(total, 'item')}", type="primary",
                           key="ex_tbl_apply"):
        done = attempt(lambda: explore.decide_selection(store, actor, query, decision, total))
        if done is not None:
            st.session_state["ex_msg"] = f"{plural(done, 'item')} {past(decision)}."
            st.rerun()


def _by_rule(store: Repository, actor: Actor) -> None:
    ss = st.session_state
    rule = st.text_input("Rule", get_settings().filter_rule, key="ex_rule",
                         help="e.g. mean>=95,min>=90 (the paper's) or accuracy>=90")
    bulk = st.radio("Decision", ["approve", "reject"], horizontal=True, key="ex_bulk_decision",
                    format_func=_ALL_RULE.get)
    only_new = st.checkbox("Only undecided items", True, key="ex_bulk_undecided")
    st.caption("A rule looks at every scored item, whatever the filters above show.")
    inputs = (rule, bulk, only_new)
    if st.button("Preview", key="ex_bulk_preview"):
        plan = attempt(lambda: review.bulk_preview(store, rule, bulk, undecided_only=only_new))
        ss["ex_bulk_plan"] = (inputs, plan) if plan else None
    planned = ss.get("ex_bulk_plan")
    if planned and planned[0] == inputs:  # a preview of exactly these inputs comes first
        plan = planned[1]
        what = "pass" if bulk == "approve" else "fail"
        st.info(f"{plural(plan.n, 'item')} of {plan.candidates:,} scored would be {past(bulk)}: "
                f"those that {what} `{plan.rule}`, that is, where {plan.description}.")
        if st.button(f"Apply to {plural(plan.n, 'item')}", key="ex_bulk_apply", type="primary"):
            done = attempt(lambda: review.bulk_apply(
                store, actor, rule, bulk, undecided_only=only_new, expected=plan.n))
            ss["ex_bulk_plan"] = None
            if done is not None:
                ss["ex_msg"] = (f"{plural(done.n, 'item')} {past(bulk)}; the rule is "
                                "recorded on each.")
                st.rerun()
