"""Review: rate your audit queue beside the verifier (hidden until you submit in blind mode)."""

from functools import partial

import pandas as pd
import streamlit as st

from honeybee_core import audit, explore, review
from honeybee_core.errors import HoneybeeError
from honeybee_core.review import DIMENSIONS, RUBRIC, ItemWhere, Rating
from honeybee_core.wording import readable
from views.common import attempt, current_actor, repo
from views.guideline_view import show_guideline
from views.item_view import show_item, show_verifier

store, actor = repo(), current_actor()
ss = st.session_state
ss.setdefault("rv_pos", 0)
KEYS = {"approve": "Alt+A", "reject": "Alt+X", "skip": "Alt+S", "flag": "Alt+G"}


def _reset() -> None:
    ss.update(rv_pos=0, rv_revealed=None, rv_edit=None, rv_left=False)


def _submit(verdict: str, item_id: str, blind: bool) -> None:
    rating = Rating.from_scores((ss.get(f"rv_{d}") for d in DIMENSIONS), verdict=verdict,
                                comment=ss.get("rv_comment"), blind=blind)
    try:  # committed before this rerun draws anything: other tabs see it on their next run
        review.save_rating(store, actor, item_id, rating)
    except HoneybeeError as exc:
        ss["rv_error"] = str(exc)
        return
    ss.update(rv_edit=None, rv_revealed=None if verdict == "skip" else item_id,
              rv_left=verdict == "skip", rv_saved=f"Saved your rating ({verdict}).")


def _move(step: int) -> None:
    # Previous walks back through what you rated, latest first; Next walks forward to the queue
    here = review.Place(ss["rv_pos"], ss.get("rv_revealed") or ss.get("rv_edit"),
                        ss.get("rv_left", False))
    there = review.navigate(here, step, review.my_ratings(store, actor)["instruction_id"])
    ss.update(rv_pos=there.pos, rv_edit=there.opened, rv_revealed=None, rv_left=there.left_rated)


st.title("Review")
opts = review.filter_options(store)
c1, c2, c3, c4, c5 = st.columns([1, 2, 2, 2, 1.4])
stages = c1.multiselect("Stage", opts["stages"], key="rv_stages", on_change=_reset,
                        placeholder="All")
topics = c2.multiselect("Topic", opts["topics"], key="rv_topics", on_change=_reset,
                        placeholder="All topics")
kinds = c3.multiselect("Task type", opts["task_types"], key="rv_task_types", on_change=_reset,
                       placeholder="All task types")
verifier = c4.selectbox("Verifier", opts["verifiers"], index=None, key="rv_verifier",
                        placeholder="all verifiers", on_change=_reset)
blind = c5.toggle("Blind", value=True, key="rv_blind",
                  help="Hide the verifier's scores until you submit, so they cannot anchor you.")
where = ItemWhere(tuple(stages), tuple(topics), tuple(kinds), (), verifier)

page = review.queue(store, actor, where, offset=ss["rv_pos"])
if page.total and not page.ids:  # past the end (items were rated elsewhere): the last one
    ss["rv_pos"] = page.total - 1
    page = review.queue(store, actor, where, offset=ss["rv_pos"])
done = review.Progress(page.rated, page.total)
st.progress(done.fraction, text=f"{done.rated} rated / {done.total} in your queue "
            f"({done.remaining} left, skipped ones last)")
for key, show in (("rv_error", st.error), ("rv_saved", st.success)):
    if ss.get(key):
        show(ss.pop(key))

item_id, mode = ss.get("rv_revealed"), "revealed"
if not item_id:
    item_id, mode = ss.get("rv_edit"), "edit"
    if item_id:
        st.caption("Your earlier rating of this item · ◀ Previous goes further back, Next ▶ "
                   "towards your queue")
if not item_id:
    mode, item_id = "queue", page.ids[0] if page.ids else None
    st.caption(f"Item {ss['rv_pos'] + 1} of {page.total} · shortcuts: "
               + ", ".join(f"{v} {k}" for k, v in KEYS.items()) + ", Alt+N next, Alt+P previous")

detail = attempt(partial(explore.item_detail, store, item_id)) if item_id else None
if detail is None:
    st.success("Your queue is empty for these filters. Thank you!")
else:
    left, right = st.columns([3, 2], gap="large")
    with left:
        show_item(detail.item)
        show_guideline(store, expanded=True)  # beside the form; a reviewer may fold it away
    with right:
        stored = review.get_rating(store, actor, detail.item["id"])
        yours = dict(zip(DIMENSIONS, stored.scores, strict=True)) if stored else None
        if mode == "revealed" and stored is not None:
            st.markdown("**Your rating beside the verifier's**")
            show_verifier(detail.verifier_scores, yours)
            st.dataframe(readable(review.compare_with_verifier(stored, detail.verifier_scores)),
                         hide_index=True, key="rv_compare")
            st.button("Edit this rating", key="rv_edit_again", on_click=ss.update,
                      kwargs={"rv_edit": item_id, "rv_revealed": None})
        else:
            if blind and mode == "queue":
                st.caption("🙈 Blind mode: the verifier's scores appear after you submit.")
            else:
                show_verifier(detail.verifier_scores, yours if mode == "edit" else None)
            if ss.get("rv_form_for") != f"{mode}:{item_id}":  # a new item: fresh or stored values
                ss.update({f"rv_{d}": (yours or {}).get(d) for d in DIMENSIONS},
                          rv_comment=(stored.comment if stored else "") or "",
                          rv_form_for=f"{mode}:{item_id}")
            with st.form("rv_form", enter_to_submit=False):
                for dim in DIMENSIONS:
                    st.number_input(dim.capitalize(), 0, 100, None, 1, key=f"rv_{dim}",
                                    help=RUBRIC[dim], placeholder="0-100")
                st.text_area("Comment", key="rv_comment", height=80)
                cells = [c for _ in range(2) for c in st.columns(2)]  # 2x2: labels stay whole
                for col, (verdict, keys) in zip(cells, KEYS.items(), strict=True):
                    col.form_submit_button(
                        verdict.capitalize(), key=f"rv_{verdict}", shortcut=keys,
                        type="primary" if verdict == "approve" else "secondary",
                        on_click=_submit, args=(verdict, item_id, blind and mode == "queue"))

prev, nxt, _ = st.columns([2, 2, 5])
prev.button("◀ Previous", key="rv_prev", shortcut="Alt+P", on_click=_move, args=(-1,))
nxt.button("Next ▶", key="rv_next", shortcut="Alt+N", on_click=_move, args=(1,))

with st.sidebar:
    st.caption("Your running agreement with the verifier (Spearman ρ, 95 % CI)")
    rho = audit.reviewer_agreement(store, actor.name)
    if rho["rho"].notna().any():  # lines, not a table: the sidebar is narrow
        st.markdown("\n".join(
            f"- **{r['dimension'].capitalize()}** {r['rho']:.2f} ({r['95% CI']}), n = {r['n']}"
            if pd.notna(r["rho"]) else f"- **{r['dimension'].capitalize()}** not yet (n = "
            f"{r['n']})" for _, r in rho.iterrows()))
    else:
        st.caption("Appears once you have rated a few scored items.")

with st.expander("Your earlier ratings"):
    mine = review.my_ratings(store, actor)
    if mine.empty:
        st.caption("None yet.")
    else:
        labels = dict(zip(mine["instruction_id"], mine["verdict"].fillna("?") + " · "
                          + mine["instruction"].str.slice(0, 90), strict=True))
        st.selectbox("Reopen", list(labels), format_func=labels.__getitem__, key="rv_reopen")
        st.button("Reopen to edit", key="rv_reopen_go",
                  on_click=lambda: ss.update(rv_edit=ss["rv_reopen"], rv_revealed=None))
