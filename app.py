"""HoneyBee Studio: the st.navigation frame. No logic here; pages call honeybee_core."""

import streamlit as st

from pages.frame import PageSpec, navigation

st.set_page_config(page_title="HoneyBee Studio", page_icon="🐝", layout="wide")

# (script, title, icon, least role: reviewer < curator < admin; None = open before sign-in when
# HONEYBEE_AUTH=none). A person sees the pages their role reaches; the first one is the default.
pages = [
    PageSpec("pages/home.py", "Home", "🏠", None),
    PageSpec("pages/review.py", "Review", "📝", "reviewer"),
    PageSpec("pages/explore.py", "Explore", "🔎", "reviewer"),
    PageSpec("pages/agreement.py", "Agreement", "📈", "reviewer"),
    PageSpec("pages/generate.py", "Generate", "🧪", "curator"),
    PageSpec("pages/train.py", "Train", "🏋️", "curator"),
    PageSpec("pages/evaluate.py", "Evaluate", "🎯", "reviewer"),
    PageSpec("pages/data.py", "Data", "📦", "curator"),
]
navigation(pages).run()
