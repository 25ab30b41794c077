"""HoneyBee Studio: the st.navigation frame. No logic here; pages call honeybee_core."""

import streamlit as st

from views.common import demo_badge
from views.frame import PageSpec, navigation

st.set_page_config(page_title="HoneyBee Studio", page_icon=":material/hive:", layout="wide")

# Material icons, not emoji: the first emoji icon makes Streamlit compile its emoji catalogue
# (about 0.1 s of CPU on every start).
# (script, title, icon, least role: reviewer < curator < admin; None = open before sign-in when
# HONEYBEE_AUTH=none). A person sees the pages their role reaches; the first one is the default.
pages = [
    PageSpec("views/home.py", "Home", ":material/home:", None),
    PageSpec("views/review.py", "Review", ":material/rate_review:", "reviewer"),
    PageSpec("views/explore.py", "Explore", ":material/search:", "reviewer"),
    PageSpec("views/agreement.py", "Agreement", ":material/insights:", "reviewer"),
    PageSpec("views/generate.py", "Generate", ":material/science:", "curator"),
    PageSpec("views/train.py", "Train", ":material/fitness_center:", "curator"),
    PageSpec("views/evaluate.py", "Evaluate", ":material/target:", "reviewer"),
    PageSpec("views/guidelines.py", "Guidelines", ":material/menu_book:", "reviewer"),
    PageSpec("views/data.py", "Data", ":material/inventory_2:", "curator"),
    PageSpec("views/people.py", "People", ":material/group:", "admin"),
]
demo_badge()  # while the offline demo's synthetic items are in the database
navigation(pages).run()
