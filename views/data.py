"""Data: import instruction triples, verifier results or expert ratings; export a selection."""

import tempfile
from pathlib import Path

import streamlit as st

from honeybee_core import safefile, transfer
from honeybee_core.wording import header, plural
from views.common import attempt, current_actor, repo

actor = current_actor("curator")  # importing changes the data: curators and admins only
st.title("Data")
store = repo()

st.subheader("Import")
kind = st.radio("What the file holds", ["Instruction triples", "Verifier results",
                "Expert ratings"], horizontal=True, key="import_kind")
upload = st.file_uploader("Alpaca JSON, JSONL, CSV or Parquet", key="import_file",
                          type=["json", "jsonl", "ndjson", "csv", "parquet"])
verifier = st.text_input("Verifier name", "imported", key="import_verifier",
                         disabled=kind != "Verifier results")
create = st.checkbox("Create reviewer accounts for names without one", key="import_create",
                     disabled=kind != "Expert ratings")
replace = actor.role == "admin" and st.checkbox(
    "Replace other people's existing ratings (admin; old ratings are kept in the history)",
    key="import_replace", disabled=kind != "Expert ratings")
if upload is not None and st.button("Import", key="import_go", type="primary"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safefile.plain_name(upload.name)  # the browser chose that name
        path.write_bytes(upload.getvalue())
        result: transfer.RatingsResult | transfer.ImportResult | None
        if kind == "Expert ratings":
            result = attempt(lambda: transfer.import_ratings(
                store, path, actor=actor, replace=replace, create_annotators=create))
        else:
            fmt = "verifier" if kind == "Verifier results" else "auto"
            result = attempt(lambda: transfer.import_file(store, path, fmt, verifier=verifier,
                                                          actor=actor))
    if result is not None:
        st.success(", ".join(f"{header(k)}: {v}" for k, v in result.as_dict().items()
                             if k != "path"))
        if isinstance(result, transfer.RatingsResult) and result.replace:
            st.warning(f"--replace: {result.replaced} rating(s) by other people were replaced; "
                       "their old values are in the ratings history.")

st.subheader("Export")
fmt = st.selectbox("Format", ["jsonl", "alpaca", "parquet"], key="export_format")
approved = st.checkbox("Approved items only", key="export_approved")
if st.button("Prepare download", key="export_go"):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / ("honeybee." + {"alpaca": "json"}.get(fmt, fmt))
        exported = attempt(lambda: transfer.export_items(store, out, fmt, approved=approved,
                                                         actor=actor))
        if exported is not None:
            st.download_button(f"Download {plural(exported.items, 'item')}", out.read_bytes(),
                               file_name=out.name, key="export_download")
