"""HoneyBee Studio core: everything that can be tested without Streamlit."""

__version__ = "0.1.0"
