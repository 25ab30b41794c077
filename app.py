"""HoneyBee Studio: the st.navigation frame. No logic here; pages call honeybee_core."""

import streamlit as st

st.set_page_config(page_title="HoneyBee Studio", page_icon="🐝", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="📦"),
]
st.navigation(pages).run()
