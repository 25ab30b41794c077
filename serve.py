"""Serve HoneyBee Studio: `streamlit run serve.py` (what `make run` and the Dockerfile do).

app.py is the Streamlit script; this wraps it in st.App with the routes that keep a sign-in
across reloads, tabs and bookmarks (honeybee_core.web_routes). `streamlit run app.py` still
works, with a sign-in that lasts only as long as the browser tab.
"""

import streamlit as st

from honeybee_core.web_routes import mount

app = st.App("app.py", routes=mount())
