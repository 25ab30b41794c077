"""The Sign in page of the menu (local mode, signed out); other addresses show the same form."""

from views.sign_in_form import render

render("/")
