"""HoneyBee Studio: the st.navigation frame. No logic here; pages call honeybee_core."""

import streamlit as st

from views.common import demo_badge
from views.frame import PageSpec, navigation

st.set_page_config(page_title="HoneyBee Studio", page_icon="🐝", layout="wide")

# (script, title, icon, least role: reviewer < curator < admin; None = open before sign-in when
# HONEYBEE_AUTH=none). A person sees the pages their role reaches; the first one is the default.
pages = [
    PageSpec("views/home.py", "Home", "🏠", None),
    PageSpec("views/review.py", "Review", "📝", "reviewer"),
    PageSpec("views/explore.py", "Explore", "🔎", "reviewer"),
    PageSpec("views/agreement.py", "Agreement", "📈", "reviewer"),
    PageSpec("views/generate.py", "Generate", "🧪", "curator"),
    PageSpec("views/train.py", "Train", "🏋️", "curator"),
    PageSpec("views/evaluate.py", "Evaluate", "🎯", "reviewer"),
    PageSpec("views/guidelines.py", "Guidelines", "📘", "reviewer"),
    PageSpec("views/data.py", "Data", "📦", "curator"),
    PageSpec("views/people.py", "People", "👥", "admin"),
]
demo_badge()  # while the offline demo's synthetic items are in the database
navigation(pages).run()
