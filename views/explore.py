"""Explore: every item, filtered, sorted and paged by DuckDB; one item in full; curation."""

import streamlit as st

from honeybee_core import audit, explore, job_report, review
from honeybee_core.audit_report import CELLS
from honeybee_core.domain import RANGE_COLUMNS, SORT_COLUMNS, ExploreQuery, ItemWhere
from honeybee_core.rules import parse_rule
from honeybee_core.wording import header, past, plural, readable
from views.bulk_decide import bulk_section
from views.common import attempt, current_actor, repo
from views.item_view import show_item, show_verifier

store, actor = repo(), current_actor()
ss = st.session_state
st.title("Explore")
if ss.get("ex_msg"):
    st.success(ss.pop("ex_msg"))
link, only = audit.from_explore_params(st.query_params.to_dict()), None
if link is not None:  # a confusion cell linked from the Agreement page
    ids = attempt(audit.confusion_ids, store, *link)
    only = None if ids is None else tuple(ids)
    if only is not None:
        note, clear = st.columns([5, 1])
        note.info(f"Only the {plural(len(only), 'item')} {CELLS[link[2]]} under the rule "
                  f"`{link[1]}` ({parse_rule(link[1]).describe()}), from the Agreement page; "
                  "the filters below narrow them further.")
        if clear.button("Show all items", key="ex_clear_link"):
            st.query_params.clear()
            st.rerun()
elif job := st.query_params.get("job"):  # the items a job wrote, linked from Generate
    only, said = job_report.job_items(store, job)
    note, clear = st.columns([5, 1])
    note.info(said + " The filters below narrow them further.")
    clear.button("Show all items", key="ex_clear_job", on_click=st.query_params.clear)

opts = review.filter_options(store)
c1, c2, c3, c4 = st.columns(4)
where = ItemWhere(
    tuple(c1.multiselect("Stage", opts["stages"], key="ex_stages", placeholder="All stages")),
    tuple(c2.multiselect("Topic", opts["topics"], key="ex_topics", placeholder="All topics")),
    tuple(c3.multiselect("Task type", opts["task_types"], key="ex_task_types",
                         placeholder="All task types")),
    tuple(c4.multiselect("Source", opts["sources"], key="ex_sources",
                         placeholder="All sources")),
)
c1, c2, c3 = st.columns([3, 1, 1])
search = c1.text_input("Search instruction, input and output", key="ex_search")
rated = c2.selectbox("Expert ratings", ["any", "rated", "unrated"], key="ex_rated")
decision = c3.selectbox("Decision", ["any", "approve", "reject", "undecided"], key="ex_decision")
ranges = {}
with st.expander("Verifier score ranges"):
    for col, column in zip(st.columns(len(RANGE_COLUMNS)), RANGE_COLUMNS, strict=True):
        low, high = col.slider(header(column), 0, 100, (0, 100), key=f"ex_range_{column}")
        if (low, high) != (0, 100):  # untouched ranges keep unscored items in
            ranges[column] = (float(low), float(high))
c1, c2, c3, c4 = st.columns(4)
sort = c1.selectbox("Sort by", SORT_COLUMNS, key="ex_sort", format_func=header)
descending = c2.toggle("Descending", key="ex_desc")
size = c3.selectbox("Rows per page", [25, 50, 100, 200], index=1, key="ex_page_size")
page_no = ss.get("ex_page", 1) - 1  # the page picker sits under the table, once pages are known

query = ExploreQuery(where, search, ranges, {"any": None, "rated": True, "unrated": False}[rated],
                     None if decision == "any" else decision, sort, descending, page_no, size,
                     only)
result = attempt(lambda: explore.explore(store, query))
if result is None:
    st.stop()
ss["ex_page"] = result.page + 1  # past the end: the last page (set before the widget exists)
matches = "matches" if result.total == 1 else "match"
c4.caption(f"{plural(result.total, 'item')} {matches} · page {result.page + 1} of {result.pages}")
st.caption("Click a row to open the item below.")
event = st.dataframe(readable(result.rows), hide_index=True, key="ex_table", on_select="rerun",
                     selection_mode="single-row")
clicked = explore.clicked_item(result.rows, event.selection.rows)
if clicked != ss.get("ex_clicked"):  # a new click opens that row; the picker may move on after
    ss["ex_clicked"] = clicked
    if clicked is not None:
        ss["ex_item"] = clicked
if result.pages > 1:
    st.columns([1, 5])[0].number_input("Page", 1, result.pages, key="ex_page")

if not result.rows.empty:
    labels = explore.item_labels(result.rows)
    if ss.get("ex_item") not in labels:  # an item of another page or filter
        ss.pop("ex_item", None)
    item_id = st.selectbox("Item detail", list(labels), format_func=labels.__getitem__,
                           key="ex_item")
    detail = attempt(lambda: explore.item_detail(store, item_id))
    if detail is not None:
        left, right = st.columns([3, 2], gap="large")
        with left:
            show_item(detail.item)
        with right:
            show_verifier(detail.verifier_scores)
            st.markdown(f"**Expert ratings** ({len(detail.ratings)})")
            st.dataframe(readable(detail.ratings), hide_index=True, key="ex_ratings")
            st.markdown(f"**Decision: {detail.decision}** · history, latest first")
            st.dataframe(readable(detail.decisions), hide_index=True, key="ex_decisions")
            if actor.can("decide"):
                reason = st.text_input("Reason (optional)", key="ex_reason")
                a, r = st.columns(2)
                for col, verdict in ((a, "approve"), (r, "reject")):
                    if col.button(verdict.capitalize(), key=f"ex_{verdict}") and bool(attempt(
                            review.decide, store, actor, item_id, verdict, reason)):
                        ss["ex_msg"] = f"Item {past(verdict)}."
                        st.rerun()

if actor.can("bulk_decide"):
    bulk_section(store, actor, query, result.total)
