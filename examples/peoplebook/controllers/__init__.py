"""The app's pages and API, one blueprint per module.

``create_app`` calls ``app.autodiscover`` on this package: every blueprint
defined at the top of a module here is registered, so a new feature is a new
module, with no list to keep up to date.
"""
